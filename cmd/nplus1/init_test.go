package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// init writes each stack's starter, with the nplus1.yaml that names its
// stack, and a README that says what it needs.
func TestInitStacks(t *testing.T) {
	for _, tt := range []struct {
		lang, file, readme string
	}{
		{"sqlalchemy", "main.py", "SQLAlchemy"},
		{"django", "main.py", "python3-django"},
		{"gorm", "main.go", "GORM"},
		{"node", "main.js", "node main.js"},
		{"rails", "main.rb", "ruby-activerecord"},
		{"java", "Main.java", "libpostgresql-jdbc-java"},
		{"hibernate", "Main.java", "libhibernate3-java"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "solution")
			code, out, errOut := run(t, "init", "orders-items", dir, "--lang", tt.lang)
			if code != 0 {
				t.Fatalf("init --lang %s: exit %d: %s %s", tt.lang, code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
				t.Errorf("no %s: %v", tt.file, err)
			}
			manifest, _ := os.ReadFile(filepath.Join(dir, "nplus1.yaml"))
			if want := "challenge: orders-items\nstack: " + tt.lang + "\n"; string(manifest) != want {
				t.Errorf("nplus1.yaml = %q, want %q", manifest, want)
			}
			readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
			if !strings.Contains(string(readme), tt.readme) {
				t.Errorf("README does not say %q:\n%s", tt.readme, readme)
			}
			// How to run it on the challenge's data: under nplus1 trace.
			if want := "nplus1 trace --challenge orders-items -- " + starterStacks[tt.lang].run + "\n    curl http://127.0.0.1:PORT/api/orders\n"; !strings.Contains(string(readme), want) {
				t.Errorf("README does not say how to run the starter on the challenge's data (%q):\n%s", want, readme)
			}
			if tt.lang == "gorm" {
				mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
				if !strings.Contains(string(mod), "gorm.io/gorm v") || !strings.Contains(string(mod), "gorm.io/driver/postgres v") {
					t.Errorf("go.mod does not pin GORM:\n%s", mod)
				}
			}
		})
	}
}

package grader

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMessagesNameNoFlags: the grader's messages point at a setting
// (package setting) and cmd spells it, so no string in the grader's code
// names one of nplus1's flags or environment variables. Other programs'
// flags (initdb's, pg_config's) are allowed, and so is reproduce, whose
// command line is the card's by definition.
func TestMessagesNameNoFlags(t *testing.T) {
	flag := regexp.MustCompile(`(^|[^\w-])--[a-z][a-z-]*|NPLUS1_[A-Z]+`)
	others := regexp.MustCompile(`pg_config --bindir|useradd --system|postgres --version|^"--(bindir|version|locale=C|auth=scram-sha-256|pwfile=|no-sync|wal-segsize=1)"$`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name == "reproduce" {
				return false
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && flag.MatchString(lit.Value) && !others.MatchString(lit.Value) {
				t.Errorf("%s: %s names a flag of nplus1's: point at a setting (internal/setting) instead", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

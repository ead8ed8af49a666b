package challenges

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogLoads(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) == 0 {
		t.Fatal("List returned no challenges")
	}
	for i, c := range list {
		if i > 0 && list[i-1].ID >= c.ID {
			t.Errorf("List not sorted by id: %q before %q", list[i-1].ID, c.ID)
		}
		// Every challenge comes in Go, in Python, and in every ORM stack.
		want := []string{"django", "go", "gorm", "hibernate", "java", "node", "python", "rails", "sqlalchemy"}
		for _, kind := range []string{"starter", "reference"} {
			if got := c.Languages(kind); !cmp.Equal(got, want) {
				t.Errorf("%s: Languages(%q) = %q, want %q", c.ID, kind, got, want)
			}
		}
	}
}

func TestCatalogIDs(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.ID)
	}
	want := []string{"orders-items", "orders-items-products", "orders-users", "posts-comment-counts", "posts-latest-comments"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List() ids mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadOrdersUsers(t *testing.T) {
	c, err := Load("orders-users")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := Challenge{
		ID: c.ID, Title: c.Title, Level: c.Level,
		Endpoint: c.Endpoint, Size: c.Size, Limits: c.Limits, Latency: c.Latency, Source: c.Source,
	}
	want := Challenge{
		ID: "orders-users", Title: "Orders and their users", Level: "beginner",
		Endpoint: Endpoint{Method: "GET", Path: "/api/orders"},
		Size:     100,
		Limits:   Limits{Statements: 2, P95: 100 * time.Millisecond, RTT: 5 * time.Millisecond},
		Latency:  Latency{Warmup: 2, Requests: 20},
		Source:   "challenges/orders-users",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(orders-users) mismatch (-want +got):\n%s", diff)
	}
	for name, text := range map[string]string{"Summary": c.Summary, "Brief": c.Brief, "SchemaSQL": c.SchemaSQL, "SeedSQL": c.SeedSQL, "ExpectedSQL": c.ExpectedSQL} {
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s is empty", name)
		}
	}
	for _, name := range []string{
		"starter/go/main.go", "starter/go/nplus1.yaml", "starter/python/main.py", "starter/python/nplus1.yaml",
		"reference/go/main.go", "reference/go/nplus1.yaml", "reference/python/main.py", "reference/python/nplus1.yaml",
	} {
		data, err := fs.ReadFile(c.FS, name)
		if err != nil {
			t.Errorf("read %s from the challenge FS: %v", name, err)
			continue
		}
		if path.Base(name) == "nplus1.yaml" && string(data) != "challenge: orders-users\n" {
			t.Errorf("%s = %q, want %q", name, data, "challenge: orders-users\n")
		}
	}
}

// TestCatalogEmbedsEveryDirectory guards the go:embed directive: every
// challenge directory in the source tree must be embedded.
func TestCatalogEmbedsEveryDirectory(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "challenge.yaml")); e.IsDir() && err == nil {
			onDisk = append(onDisk, e.Name())
		}
	}
	embedded, err := catalogIDs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(onDisk, embedded); diff != "" {
		t.Errorf("embedded catalog differs from the challenge directories (-disk +embedded); add a //go:embed line in challenges.go:\n%s", diff)
	}
}

func TestLoadUnknown(t *testing.T) {
	_, err := Load("no-such-challenge")
	if err == nil {
		t.Fatal("Load(no-such-challenge) succeeded")
	}
	if got, want := err.Error(), `unknown challenge "no-such-challenge" (known: orders-items, orders-items-products, orders-users, posts-comment-counts, posts-latest-comments)`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	for _, id := range []string{"", ".", "..", "orders-users/starter"} {
		if _, err := Load(id); err == nil {
			t.Errorf("Load(%q) succeeded", id)
		}
	}
}

func TestLoadDir(t *testing.T) {
	c, err := LoadDir("orders-users")
	if err != nil {
		t.Fatalf("LoadDir(orders-users): %v", err)
	}
	if c.ID != "orders-users" || c.Source != "orders-users" {
		t.Errorf("LoadDir(orders-users): ID %q, Source %q", c.ID, c.Source)
	}
	if _, err := fs.Stat(c.FS, "starter/go/main.go"); err != nil {
		t.Errorf("FS: %v", err)
	}

	// A minimal challenge: only the required fields and the SQL files, no code.
	dir := filepath.Join(t.TempDir(), "mini")
	writeFiles(t, dir, map[string]string{
		"challenge.yaml": "id: mini\ntitle: T\nlevel: advanced\nsummary: S\nbrief: B\n" +
			"endpoint: {path: /api/x}\nlimits: {statements: 1, p95: 1s}\n",
		"schema.sql":   "CREATE TABLE t (id int);",
		"seed.sql":     "INSERT INTO t VALUES (1);",
		"expected.sql": "SELECT '[]'::json;",
	})
	c, err = LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir(minimal): %v", err)
	}
	got := Challenge{Endpoint: c.Endpoint, Size: c.Size, Limits: c.Limits, Latency: c.Latency}
	want := Challenge{
		Endpoint: Endpoint{Method: "GET", Path: "/api/x"},
		Size:     100,
		Limits:   Limits{Statements: 1, P95: time.Second},
		Latency:  Latency{Warmup: 2, Requests: 20},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
	if langs := c.Languages("starter"); langs != nil {
		t.Errorf("Languages(starter) = %q, want none", langs)
	}

	// Problems name the file on disk.
	writeFiles(t, dir, map[string]string{"challenge.yaml": "id: other\n"})
	_, err = LoadDir(dir)
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "challenge.yaml")+":1: ") {
		t.Errorf("LoadDir(bad) error = %v, want it to start with %s:1:", err, filepath.Join(dir, "challenge.yaml"))
	}

	if _, err := LoadDir(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("LoadDir(absent) succeeded")
	}
}

// base is a valid challenge.yaml for the directory "bad"; the cases below
// edit it. Its line numbers matter.
const base = `id: bad
title: A title
level: beginner
summary: One line.
brief: |
  Some text.
endpoint:
  method: GET
  path: /api/things
data: {size: 10}
limits:
  statements: 2
  p95: 100ms
  rtt: 5ms
latency: {warmup: 1, requests: 3}
`

func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in base
		want     string
	}{
		{"unknown field", "latency: {warmup: 1, requests: 3}\n", "latency: {warmup: 1, requests: 3}\ncolour: red\n",
			`bad/challenge.yaml:16: unknown field "colour" (known: id, title, level, summary, brief, endpoint, data, limits, latency)`},
		{"unknown nested field", "  rtt: 5ms", "  rttt: 5ms",
			`bad/challenge.yaml:14: unknown field "limits.rttt" (known: statements, p95, rtt)`},
		{"repeated field", "title: A title\n", "title: A title\ntitle: Again\n",
			"bad/challenge.yaml:3: field title given twice (first at line 2)"},
		{"integer of the wrong type", "size: 10", "size: many",
			`bad/challenge.yaml:10: data.size: want an integer, got "many"`},
		{"string of the wrong type", "title: A title", "title: [A, title]",
			"bad/challenge.yaml:2: title: want a string, got a list"},
		{"empty string", "title: A title", "title:",
			"bad/challenge.yaml:2: title: want a string, got nothing"},
		{"bad duration", "p95: 100ms", "p95: fast",
			`bad/challenge.yaml:13: limits.p95: want a duration with a unit, like 100ms, got "fast"`},
		{"duration without unit", "p95: 100ms", "p95: 100",
			"bad/challenge.yaml:13: limits.p95: want a duration with a unit, like 100ms, got 100"},
		{"zero p95", "p95: 100ms", "p95: 0s",
			"bad/challenge.yaml:13: limits.p95: must be more than 0"},
		{"negative rtt", "rtt: 5ms", "rtt: -5ms",
			"bad/challenge.yaml:14: limits.rtt: must not be negative, got -5ms"},
		{"zero statements", "statements: 2", "statements: 0",
			"bad/challenge.yaml:12: limits.statements: want at least 1, got 0"},
		{"zero size", "size: 10", "size: 0",
			"bad/challenge.yaml:10: data.size: want at least 1, got 0"},
		{"zero requests", "requests: 3", "requests: 0",
			"bad/challenge.yaml:15: latency.requests: want at least 1, got 0"},
		{"missing id", "id: bad\n", "",
			"bad/challenge.yaml:1: missing required field id"},
		{"missing title", "title: A title\n", "",
			"bad/challenge.yaml:1: missing required field title"},
		{"missing endpoint path", "  path: /api/things\n", "",
			"bad/challenge.yaml:7: missing required field endpoint.path"},
		{"missing limits statements", "  statements: 2\n", "",
			"bad/challenge.yaml:11: missing required field limits.statements"},
		{"missing limits", "limits:\n  statements: 2\n  p95: 100ms\n  rtt: 5ms\n", "",
			"bad/challenge.yaml:1: missing required field limits"},
		{"id not the directory name", "id: bad", "id: other",
			`bad/challenge.yaml:1: id "other" does not match the directory name "bad"`},
		{"malformed id", "id: bad", "id: Bad_One",
			`bad/challenge.yaml:1: id "Bad_One": want lower-case letters and digits joined by -, like orders-users`},
		{"unknown level", "level: beginner", "level: expert",
			`bad/challenge.yaml:3: level: want one of beginner, intermediate, advanced, got "expert"`},
		{"unknown method", "method: GET", "method: get",
			`bad/challenge.yaml:8: endpoint.method: want one of GET, POST, PUT, PATCH, DELETE, got "get"`},
		{"relative path", "path: /api/things", "path: api/things",
			`bad/challenge.yaml:9: endpoint.path: want a path starting with /, got "api/things"`},
		{"endpoint not a mapping", "endpoint:\n  method: GET\n  path: /api/things\n", "endpoint: /api/things\n",
			`bad/challenge.yaml:7: endpoint: want a mapping, got "/api/things"`},
		{"several problems", "p95: 100ms\n  rtt: 5ms", "p95: fast\n  rtt: -1s",
			`bad/challenge.yaml:13: limits.p95: want a duration with a unit, like 100ms, got "fast"` + "\n" +
				"bad/challenge.yaml:14: limits.rtt: must not be negative, got -1s"},
		{"syntax error", "title: A title", "title: A: title",
			"bad/challenge.yaml:2: mapping values are not allowed in this context"},
		{"not a mapping", base, "- id: bad\n",
			"bad/challenge.yaml:1: want a mapping of fields, got a list"},
		{"empty file", base, "# nothing yet\n",
			"bad/challenge.yaml: empty"},
		{"two documents", base, base + "---\nid: bad\n",
			"bad/challenge.yaml:16: more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("base has no %q", tt.old)
			}
			fsys := validFS()
			fsys["challenge.yaml"].Data = []byte(strings.Replace(base, tt.old, tt.new, 1))
			_, err := loadTest(fsys, nil)
			if err == nil {
				t.Fatal("load succeeded")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestValidBase(t *testing.T) {
	c, err := loadTest(validFS(), nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if c.Brief != "Some text.\n" || c.Latency != (Latency{Warmup: 1, Requests: 3}) || c.Size != 10 {
		t.Errorf("got Brief %q, Latency %+v, Size %d", c.Brief, c.Latency, c.Size)
	}
}

func TestMissingFiles(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(fstest.MapFS)
		required []string
		want     string
	}{
		{"no challenge.yaml", func(m fstest.MapFS) { delete(m, "challenge.yaml") }, nil,
			"bad/challenge.yaml: missing"},
		{"no seed.sql", func(m fstest.MapFS) { delete(m, "seed.sql") }, nil,
			"bad/seed.sql: missing: every challenge needs schema.sql, seed.sql, expected.sql"},
		{"empty expected.sql", func(m fstest.MapFS) { m["expected.sql"].Data = []byte("\n \n") }, nil,
			"bad/expected.sql: empty"},
		{"catalog code missing", func(m fstest.MapFS) {
			m["starter/go/main.go"] = &fstest.MapFile{Data: []byte("package main\n")}
			m["reference/go/main.go"] = &fstest.MapFile{Data: []byte("package main\n")}
			m["reference/python"] = &fstest.MapFile{Data: []byte("a file, not a directory\n")}
		}, catalogCode,
			"bad/starter/python: missing: every challenge of the catalog needs starter/go, starter/python, reference/go, reference/python\n" +
				"bad/reference/python: missing: every challenge of the catalog needs starter/go, starter/python, reference/go, reference/python"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := validFS()
			tt.edit(fsys)
			_, err := loadTest(fsys, tt.required)
			if err == nil {
				t.Fatal("load succeeded")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// validFS returns a valid challenge directory named "bad" with base as its
// challenge.yaml.
func validFS() fstest.MapFS {
	return fstest.MapFS{
		"challenge.yaml": {Data: []byte(base)},
		"schema.sql":     {Data: []byte("CREATE TABLE t (id int);\n")},
		"seed.sql":       {Data: []byte("INSERT INTO t VALUES (1);\n")},
		"expected.sql":   {Data: []byte("SELECT '[]'::json;\n")},
	}
}

func loadTest(fsys fs.FS, required []string) (*Challenge, error) {
	l := loader{fsys: fsys, source: "bad", dirName: "bad", join: path.Join, required: required}
	return l.load()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnknownChallengeSuggestsTheNearest(t *testing.T) {
	_, err := Load("order-users")
	if err == nil || !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), `unknown challenge "order-users"; did you mean orders-users?`) {
		t.Errorf("Load(order-users) = %v, want an ErrUnknown suggesting orders-users", err)
	}
}

// Every challenge's brief names the fix of each ORM stack in its table,
// which a grade's N+1 finding quotes; the plain stacks have none.
func TestStackFix(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		for _, lang := range []string{"sqlalchemy", "django", "gorm", "rails", "node"} {
			if name, fix := c.StackFix(lang); name == "" || fix == "" || strings.Contains(name, "`") {
				t.Errorf("%s: StackFix(%q) = %q, %q; want the stack's name and the fix of its row in the brief", c.ID, lang, name, fix)
			}
		}
		if name, fix := c.StackFix("go"); name != "" || fix != "" {
			t.Errorf("%s: StackFix(go) = %q, %q; want none", c.ID, name, fix)
		}
	}
	c, err := Load("orders-users")
	if err != nil {
		t.Fatal(err)
	}
	if name, fix := c.StackFix("django"); name != "Django" || fix != "`select_related(\"user\")` (or `prefetch_related`)" {
		t.Errorf("orders-users: StackFix(django) = %q, %q", name, fix)
	}
}

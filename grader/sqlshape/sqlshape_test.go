package sqlshape

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSameShape(t *testing.T) {
	groups := [][]string{
		{
			"SELECT name, email FROM users WHERE id = 1",
			"select name, email from users where id = $1",
			"SELECT name, email FROM users WHERE id = '7'",
			"SELECT name, email FROM users WHERE id IN (1, 2, 3)",
			"SELECT name, email FROM users WHERE id IN ($1,$2)",
			"SELECT name, email FROM users WHERE id = ANY($1)",
			"SELECT name, email FROM users WHERE id = ANY($1::int[])",
			"SELECT name, email FROM users WHERE id = ANY(ARRAY[1,2,3])",
			"SELECT name, email FROM users WHERE id = %s",
			"SELECT  name,\n\temail FROM users -- trailing comment\n WHERE id = 42",
			"/* app:orders */ SELECT name, email FROM users WHERE id = 1e3",
			"SELECT name, email FROM users WHERE id = 'x'",
			"SELECT name, email FROM users WHERE (id = $1)",
			"SELECT name, email FROM users WHERE id = ANY(ARRAY[$1, $2]::int[])",
			"SELECT name, email FROM users WHERE id = ANY('{1,2,3}')",
			"SELECT name, email FROM users WHERE id = ?",
			"SELECT name, email FROM users WHERE id = %(id)s",
		},
		{
			"INSERT INTO orders (id, product) VALUES (1, 'a')",
			"INSERT INTO orders (id, product) VALUES ($1, $2)",
			"INSERT INTO orders (id, product) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		},
		{"BEGIN", "begin", "BEGIN ISOLATION LEVEL SERIALIZABLE"},
		{"", "-- ping", "  /* nothing */ "},
		{
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = 'it''s'`,
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = E'it\'s'`,
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = $$x;y$$`,
		},
	}
	for _, g := range groups {
		want := Of(g[0])
		for _, sql := range g[1:] {
			if got := Of(sql); got.Fingerprint != want.Fingerprint {
				t.Errorf("shape of %q = %q, want %q (shape of %q)", sql, got.Normalized, want.Normalized, g[0])
			}
		}
	}
	if Of(`SELECT "Name" FROM users`) == Of(`SELECT "name" FROM users`) {
		t.Error("quoted identifiers that differ in case must not share a shape")
	}
	for _, pair := range [][2]string{
		{"SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE y = 1"},
		{"SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE x > 1"},
		{"SELECT a FROM t WHERE x = 1", "SELECT a FROM u WHERE x = 1"},
		{"SELECT a FROM t WHERE x = ANY($1)", "SELECT a FROM t WHERE x = ANY(ARRAY[y, z])"},
		{"SELECT a FROM t WHERE x = 1", "SELEC a FROM t WHERE x = 1"},
	} {
		if a, b := Of(pair[0]), Of(pair[1]); a.Fingerprint == b.Fingerprint {
			t.Errorf("%q and %q share the shape %s (%q)", pair[0], pair[1], a.Fingerprint, a.Normalized)
		}
	}
}

// The parser does the work when it can: its fingerprint, and a statement
// that does not parse still gets a stable shape from the lexer.
func TestParserAndFallback(t *testing.T) {
	Warm()
	if sh := Of("SELECT 1"); !sh.Parsed || len(sh.Fingerprint) != 16 {
		t.Errorf("Of(SELECT 1) = %+v, want a parsed 16-digit fingerprint", sh)
	}
	bad := Of("SELEC name FROM users WHERE id = 1")
	if bad.Parsed || len(bad.Fingerprint) != 16 || bad.Normalized != "selec name from users where id = ?" {
		t.Errorf("Of(a syntax error) = %+v, want a lexer shape", bad)
	}
	if again := Of("SELEC name FROM users WHERE id = 2"); again != bad {
		t.Errorf("the lexer fallback is not stable: %+v vs %+v", again, bad)
	}
}

// Shapes are asked for from many connections at once; the parser is
// shared and must give every caller the same answer.
func TestConcurrentShapes(t *testing.T) {
	want := Of("SELECT name FROM users WHERE id = 1")
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				sql := fmt.Sprintf("SELECT name FROM users WHERE id = %d", g*100+i)
				if got := Of(sql); got.Fingerprint != want.Fingerprint {
					errs <- fmt.Sprintf("%s: %+v, want %+v", sql, got, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestDeallocated(t *testing.T) {
	tests := []struct {
		sql     string
		name    string
		all, ok bool
	}{
		{"DEALLOCATE stmtcache_1", "stmtcache_1", false, true},
		{"deallocate prepare _pg3_0", "_pg3_0", false, true},
		{`DEALLOCATE "Mixed"`, "Mixed", false, true},
		{"DEALLOCATE Mixed", "mixed", false, true},
		{"DEALLOCATE ALL", "", true, true},
		{"DEALLOCATE PREPARE ALL", "", true, true},
		{"SELECT 1", "", false, false},
		{"DEALLOCATE", "", false, false},
		{"  \n\tdeallocate s1", "s1", false, true},
		{"/* pool */ DEALLOCATE s2", "s2", false, true},
		{"-- c\nDEALLOCATE ALL", "", true, true},
		{"delete from t", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		name, all, ok := Deallocated(tt.sql)
		if name != tt.name || all != tt.all || ok != tt.ok {
			t.Errorf("Deallocated(%q) = %q, %v, %v; want %q, %v, %v", tt.sql, name, all, ok, tt.name, tt.all, tt.ok)
		}
	}
}

func TestDiscardsAll(t *testing.T) {
	for sql, want := range map[string]bool{
		"DISCARD ALL": true, " discard all ": true, "/* x */ DISCARD ALL": true,
		"DISCARD PLANS": false, "SELECT 'DISCARD ALL'": false, "": false, "discard": false,
	} {
		if got := DiscardsAll(sql); got != want {
			t.Errorf("DiscardsAll(%q) = %v, want %v", sql, got, want)
		}
	}
}

// The normalized text shows the statement as written: literals and
// parameters as "?", a value list as its length, an array parameter as it
// is; Values says how many keys the text shows.
func TestNormalize(t *testing.T) {
	tests := []struct {
		sql, want string
		values    int
	}{
		{"SELECT name, email FROM users WHERE id = 1", "select name, email from users where id = ?", 0},
		{"SELECT name, email FROM users WHERE id = $1", "select name, email from users where id = ?", 0},
		{"SELECT name, email FROM users WHERE id IN ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)", "select name, email from users where id in (...10)", 10},
		{"SELECT name, email FROM users WHERE id IN (1, 2, 3) AND count(*) > 2", "select name, email from users where id in (...3) and count(*) > ?", 3},
		{"SELECT name FROM users WHERE id IN (7)", "select name from users where id in (?)", 1},
		{"SELECT name FROM users WHERE id IN (%s, %s)", "select name from users where id in (...2)", 2},
		{"SELECT name FROM users WHERE id NOT IN (1, 2)", "select name from users where id not in (...2)", 2},
		{"SELECT name FROM users WHERE id = ANY($1)", "select name from users where id = any(?)", -1},
		{"SELECT name FROM users WHERE id = ANY($1::int[])", "select name from users where id = any(?::int[])", -1},
		{"SELECT name FROM users WHERE id = ANY('{1,2,3}')", "select name from users where id = any(?)", -1},
		{"SELECT name FROM users WHERE id = ANY(ARRAY[3, 7, 12, 19])", "select name from users where id = any(array[...4])", 4},
		{"SELECT name FROM users WHERE (a, b) IN ((1, 2), (3, 4), (5, 6))", "select name from users where (a, b) in (...3)", 3},
		{"SELECT a FROM t WHERE id IN (SELECT x FROM u WHERE y = 1)", "select a from t where id in (select x from u where y = ?)", 0},
		{"SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)", "select a from t where exists (select ? from u)", 0},
		{"SELEC name FROM users WHERE id IN (1, 2)", "selec name from users where id in (...2)", 2}, // the lexer alone
	}
	for _, tt := range tests {
		if got := Normalize(tt.sql); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.sql, got, tt.want)
		}
		if sh := Of(tt.sql); sh.Normalized != tt.want || sh.Values != tt.values {
			t.Errorf("Of(%q) = %q with %d values, want %q with %d", tt.sql, sh.Normalized, sh.Values, tt.want, tt.values)
		}
	}
	// Shown apart, grouped together.
	a, b, c := Of("SELECT name FROM users WHERE id IN ($1, $2)"), Of("SELECT name FROM users WHERE id = ANY($1)"), Of("SELECT name FROM users WHERE id = $1")
	if a.Fingerprint != b.Fingerprint || a.Fingerprint != c.Fingerprint || a.Normalized == b.Normalized || a.Normalized == c.Normalized {
		t.Errorf("shapes %+v, %+v, %+v: want one fingerprint, three texts", a, b, c)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"BEGIN; SELECT 1;COMMIT;", []string{"BEGIN", "SELECT 1", "COMMIT"}},
		{"SELECT ';' ; SELECT \"a;b\" FROM t", []string{"SELECT ';'", `SELECT "a;b" FROM t`}},
		// The same shape with other literals: split by the lexer once the
		// parser has agreed with it.
		{"SELECT 'z' ; SELECT \"a;b\" FROM t", []string{"SELECT 'z'", `SELECT "a;b" FROM t`}},
		{"SELECT $$;$$; -- x;\nSELECT 2 /* ; */", []string{"SELECT $$;$$", "-- x;\nSELECT 2 /* ; */"}},
		{"SELECT E'\\';'; SELECT 3", []string{"SELECT E'\\';'", "SELECT 3"}},
		{"", []string{""}},
		{"-- ping", []string{""}},
		{" ; ; ", []string{""}},
		// The parser, not the lexer, decides where a function body ends.
		{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT f()",
			[]string{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END", "SELECT f()"}},
		// The server rejects a query that does not parse before running any of it.
		{"SELECT 1; SELEC 2", []string{"SELECT 1; SELEC 2"}},
		// The server ends a -- comment at a carriage return too
		// (testdata/redteam6/crcomment).
		{"-- x\rSELECT 1", []string{"-- x\rSELECT 1"}},
		{"SELECT 1 -- x\r; SELECT 2", []string{"SELECT 1 -- x", "SELECT 2"}},
	}
	for range 2 { // the second time, with what the first one cached
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, Split(tt.sql)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.sql, diff)
			}
		}
	}
}

func TestIsData(t *testing.T) {
	tests := []struct {
		tag, sql string
		want     bool
	}{
		{"SELECT 3", "SELECT * FROM t", true},
		{"", "WITH x AS (SELECT 1) SELECT * FROM x", true},
		{"SELECT 1", "EXECUTE q(1)", true},
		{"INSERT 0 1", "INSERT INTO t VALUES (1)", true},
		{"", "(SELECT 1) UNION (SELECT 2)", true},
		{"BEGIN", "BEGIN", false},
		{"", "begin isolation level serializable", false},
		{"COMMIT", "COMMIT", false},
		{"SET", "SET search_path = public", false},
		{"SHOW", "SHOW server_version", false},
		{"DEALLOCATE ALL", "DEALLOCATE ALL", false},
		{"DISCARD ALL", "DISCARD ALL", false},
		{"", "-- ping", false},
		{"", "", false},
		{"PREPARE", "PREPARE q AS SELECT 1", false},
		// A -- comment ends at a carriage return as at a line feed.
		{"", "-- x\rSELECT CAST(name AS int) FROM users", true},
		{"", "-- x\r\nSET search_path = public", false},
	}
	for _, tt := range tests {
		if got := IsData(tt.tag, tt.sql); got != tt.want {
			t.Errorf("IsData(%q, %q) = %v, want %v", tt.tag, tt.sql, got, tt.want)
		}
	}
}

// valuesRows is "($1, $2), ($3, $4), ..." for n rows of two parameters, as
// pgjdbc rewrites a batch of inserts.
func valuesRows(n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf("($%d, $%d)", 2*i+1, 2*i+2)
	}
	return strings.Join(rows, ", ")
}

// A multi-row INSERT has the shape of a one-row one whatever its rows (the
// chunks of a batch group together), shows its rows' number, and says in
// InsertRows how many rows it carried.
func TestMultiRowInsert(t *testing.T) {
	tests := []struct {
		sql, want string
		rows      int
	}{
		{"INSERT INTO log (a, b) VALUES ($1, $2)", "insert into log(a, b) values (?, ?)", 1},
		{"INSERT INTO log (a, b) VALUES " + valuesRows(2), "insert into log(a, b) values (?, ?) ...2 rows", 2},
		{"INSERT INTO log (a, b) VALUES " + valuesRows(128), "insert into log(a, b) values (?, ?) ...128 rows", 128},
		{"insert into log (a, b) values (1, 'x'), (2, 'y'), (3, 'z')", "insert into log(a, b) values (?, ?) ...3 rows", 3},
		// The parser counts rows the lexer cannot read; the lexer those the
		// parser rejects (SQL as a driver logs it).
		{"INSERT INTO log (a, b) VALUES (1, DEFAULT), (2, now())", "insert into log(a, b) values (?, default), (?, now())", 2},
		{"INSERT INTO log (a, b) VALUES (%s, %s), (%s, %s)", "insert into log(a, b) values (?, ?) ...2 rows", 2},
		{"WITH x AS (SELECT 1) INSERT INTO log (a, b) VALUES " + valuesRows(4), "with x as (select ?) insert into log(a, b) values (?, ?) ...4 rows", 4},
		{"INSERT INTO log (a, b) SELECT a, b FROM other", "insert into log(a, b) select a, b from other", 0},
		{"SELECT * FROM (VALUES (1), (2)) v(a)", "select * from (values (?) ...2 rows) v(a)", 0},
		{"SELECT a FROM t WHERE id IN (1, 2, 3)", "select a from t where id in (...3)", 0},
	}
	for _, tt := range tests {
		if sh := Of(tt.sql); sh.Normalized != tt.want || sh.InsertRows != tt.rows {
			t.Errorf("Of(%.60q) = %q with %d insert rows, want %q with %d", tt.sql, sh.Normalized, sh.InsertRows, tt.want, tt.rows)
		}
	}
	one := Of("INSERT INTO log (a, b) VALUES ($1, $2)").Fingerprint
	for _, n := range []int{2, 4, 64, 128} {
		if fp := Of("INSERT INTO log (a, b) VALUES " + valuesRows(n)).Fingerprint; fp != one {
			t.Errorf("an INSERT of %d rows has shape %s, one of 1 row %s: want one shape", n, fp, one)
		}
	}
	if Of("INSERT INTO log (a, b) VALUES "+valuesRows(2)+" RETURNING id").Fingerprint == one {
		t.Error("RETURNING must make another shape")
	}
}

package check

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

const want = `[{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","email":"o@x"}},
{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`

func TestCorrect(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		verdict    string
		message    string
		ctype      string // "": application/json
	}{
		{"same, keys reordered", `[{"product":"Tea","id":1.0,"user":{"email":"o@x","name":"O'Brien","id":2}},{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`, 200, reports.Pass, "", ""},
		{"wrong field", `[{"id":1,"product":"Tea","user":{"id":2,"name":"O''Brien","email":"o@x"}},{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`, 200, reports.Fail, `request 1: order 1, user.name: want "O'Brien", got "O''Brien"`, ""},
		{"wrong shape", `[{"id":1,"product":"Tea","user_name":"O'Brien"},{"id":2,"product":"Café","user_name":"Zoë"}]`, 200, reports.Fail, `request 1: missing field "user" in 2 orders (order 1: want {"id":2,"name":"O'Brien","email":"o@x"}); they have "user_name", which the expected answer does not have`, ""},
		{"missing order", `[{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","email":"o@x"}}]`, 200, reports.Fail, "request 1: order 2 is missing from the answer (1 of 2 returned)", ""},
		{"wrong order", `[{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}},{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","email":"o@x"}}]`, 200, reports.Fail, "request 1: the orders are in a different order: the 1st in the answer is order 2, where order 1 is expected", ""},
		{"not json", `<html>`, 200, reports.Fail, "not JSON", ""},
		{"server error", `boom`, 500, reports.Fail, "status 500", ""},
		{"renamed field", `[{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","mail":"o@x"}},{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`, 200, reports.Fail, `request 1: order 1, user: missing field "email" (want "o@x"); it has "mail", which the expected answer does not have`, ""},
		{"garbage after the value", strings.ReplaceAll(want, "\n", "") + " garbage", 200, reports.Fail, "request 1: the body must be one JSON value, but 7 more bytes follow it: garbage", ""},
		{"two values", strings.ReplaceAll(want, "\n", "") + "\n[]", 200, reports.Fail, "request 1: the body must be one JSON value, but 2 more bytes follow it: []", ""},
		{"a newline after the value", strings.ReplaceAll(want, "\n", "") + "\r\n\t \n", 200, reports.Pass, "", ""},
		{"with a charset", strings.ReplaceAll(want, "\n", ""), 200, reports.Pass, "", "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctype := map[string]string{"": "application/json", "none": ""}[tt.ctype]
			if ctype == "" && tt.ctype != "none" {
				ctype = tt.ctype
			}
			c := Correct([]byte(want), "/api/orders", []Response{{Status: tt.status, ContentType: ctype, Body: []byte(tt.body)}})
			if c.Status != tt.verdict || !strings.Contains(c.Message, tt.message) {
				t.Errorf("Correct = %s %q, want %s containing %q", c.Status, c.Message, tt.verdict, tt.message)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 20; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := Percentile(d, 50); p != 10 {
		t.Errorf("p50 = %v, want 10", p)
	}
	if p := Percentile(d, 95); p != 19 {
		t.Errorf("p95 = %v, want 19", p)
	}
	if p := Percentile(d, 100); p != 20 {
		t.Errorf("max = %v, want 20", p)
	}
}

func TestNPlusOneNamesItsSource(t *testing.T) {
	stmts := []proxy.Statement{{SQL: "BEGIN"}, {SQL: "SELECT id, user_id FROM orders", Rows: 4, Data: true}}
	for i := 0; i < 4; i++ {
		stmts = append(stmts, proxy.Statement{SQL: fmt.Sprintf("SELECT name FROM users WHERE id = %d", i), Rows: 1, Data: true})
	}
	f := NPlusOne(stmts)
	if len(f) != 1 {
		t.Fatalf("findings = %+v, want one", f)
	}
	if f[0].Count != 4 || f[0].Normalized != "select name from users where id = ?" || f[0].Source != "select id, user_id from orders" || f[0].SourceRows != 4 {
		js, _ := json.Marshal(f[0])
		t.Errorf("finding = %s", js)
	}
	// Two statements of a shape are not an N+1.
	if f := NPlusOne(stmts[:4]); len(f) != 0 {
		t.Errorf("findings for 2 repeats = %+v, want none", f)
	}
}

func TestStatements(t *testing.T) {
	timed := Requests{Counts: []int{2, 2, 2}}
	tests := []struct {
		name    string
		groups  []Requests
		verdict string
		value   float64
		message string
	}{
		{"timed over", []Requests{{Counts: []int{2, 2, 101}}}, reports.Fail, 101, "101 data statements in one request; the limit is 2"},
		{"within", []Requests{{Counts: []int{1, 1}}, {When: "at 1000 rows", Counts: []int{2, 2}}}, reports.Pass, 2, "at most 2 data statements per request (limit 2)"},
		{"padded after a change", []Requests{timed, {When: "after the grader changed the data", Counts: []int{1200}}}, reports.Fail, 1200,
			"1200 data statements in one request after the grader changed the data; the limit is 2"},
		{"padded at a size", []Requests{timed, {When: "at 10 rows", Counts: []int{2, 1200}}, {When: "at 1000 rows", Counts: []int{2, 2}}}, reports.Fail, 1200,
			"1200 data statements in one request at 10 rows; the limit is 2"},
		{"unread timed", []Requests{{Counts: []int{0, 0}, Unread: true}}, reports.Fail, 0,
			"the answers to the timed requests were right with no data statement through the grader's proxy: the data is random for each grade, so the database was reached some other way (not through the grader's proxy)"},
		{"unread after a change", []Requests{timed, {When: "after the grader changed the data", Counts: []int{0}, Unread: true}}, reports.Fail, 2,
			"the answers after the grader changed the data were right with no data statement through the grader's proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Statements(2, tt.groups...)
			if c.Status != tt.verdict || *c.Value != tt.value || *c.Limit != 2 || !strings.Contains(c.Message, tt.message) {
				t.Errorf("Statements = %s %v/%v %q, want %s %v containing %q", c.Status, *c.Value, *c.Limit, c.Message, tt.verdict, tt.value, tt.message)
			}
		})
	}
}

func TestScaling(t *testing.T) {
	per := func(counts ...int) []reports.SizeStatements {
		var out []reports.SizeStatements
		for i, n := range counts {
			out = append(out, reports.SizeStatements{Size: []int{10, 100, 1000}[i], Statements: n})
		}
		return out
	}
	tests := []struct {
		name    string
		per     []reports.SizeStatements
		verdict string
		message string
	}{
		{"flat", per(2, 2, 2), reports.Pass, "the statement count does not grow with the data: 2 at 10 rows, 2 at 100 rows, 2 at 1000 rows"},
		{"fewer at larger sizes", per(2, 1, 1), reports.Pass, "does not grow"},
		{"grows", per(1, 1, 2), reports.Fail, "the statement count grows with the data: 1 at 10 rows, 1 at 100 rows, 2 at 1000 rows"},
		{"flat over the limit", per(1200, 1200, 1200), reports.Fail, "the statement count is over the limit of 2: 1200 at 10 rows"},
		{"over at one size", per(2, 1200, 2), reports.Fail, "the statement count grows with the data and is over the limit of 2: 2 at 10 rows, 1200 at 100 rows"},
		{"over at the smallest", per(1200, 2, 2), reports.Fail, "the statement count is over the limit of 2: 1200 at 10 rows, 2 at 100 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Scaling(tt.per, 2)
			if c.Status != tt.verdict || !strings.Contains(c.Message, tt.message) {
				t.Errorf("Scaling = %s %q, want %s containing %q", c.Status, c.Message, tt.verdict, tt.message)
			}
		})
	}
}

func data(sql string, rows int64) proxy.Statement {
	return proxy.Statement{SQL: sql, Rows: rows, Data: true, Tag: fmt.Sprintf("SELECT %d", rows)}
}

// Two queries per parent, A-B-A-B: each is an N+1 fed by the orders, and
// each names the other as part of the same loop.
func TestNPlusOneTwoQueriesPerParent(t *testing.T) {
	stmts := []proxy.Statement{data("SELECT id, user_id, product_id FROM orders", 5)}
	for i := 0; i < 5; i++ {
		stmts = append(stmts,
			data(fmt.Sprintf("SELECT name FROM users WHERE id = %d", i), 1),
			data(fmt.Sprintf("SELECT title FROM products WHERE id = %d", i), 1))
	}
	f := NPlusOne(stmts)
	if len(f) != 2 {
		t.Fatalf("findings = %+v, want two", f)
	}
	for _, x := range f {
		if x.Count != 5 || x.Source != "select id, user_id, product_id from orders" || !strings.Contains(x.Message, "a loop that runs 2 statements per row") {
			t.Errorf("finding %+v: want 5 runs from the orders, in a loop of 2", x)
		}
	}
	if !strings.Contains(f[0].Message, "products") && !strings.Contains(f[1].Message, "products") {
		t.Errorf("no finding names the other query of the loop: %+v", f)
	}
	// Not a loop when they do not alternate.
	stmts = stmts[:1]
	for i := 0; i < 5; i++ {
		stmts = append(stmts, data(fmt.Sprintf("SELECT name FROM users WHERE id = %d", i), 1))
	}
	for i := 0; i < 5; i++ {
		stmts = append(stmts, data(fmt.Sprintf("SELECT title FROM products WHERE id = %d", i), 1))
	}
	for _, x := range NPlusOne(stmts) {
		if strings.Contains(x.Message, "loop") {
			t.Errorf("finding %+v: the lookups do not alternate, no loop", x)
		}
	}
}

// A nested N+1: items per order, then a product per item. The products'
// source is the item lookups, whose rows add up to the repeats.
func TestNPlusOneNestedSource(t *testing.T) {
	stmts := []proxy.Statement{data("SELECT id FROM orders", 3)}
	items := 0
	for i, n := range []int64{2, 3, 2} {
		stmts = append(stmts, data(fmt.Sprintf("SELECT product_id FROM items WHERE order_id = %d", i), n))
		for j := int64(0); j < n; j++ {
			stmts = append(stmts, data(fmt.Sprintf("SELECT name FROM products WHERE id = %d", items), 1))
			items++
		}
	}
	var products *reports.Finding
	for _, f := range NPlusOne(stmts) {
		if strings.Contains(f.Normalized, "products") {
			products = &f
		}
	}
	if products == nil || products.Count != 7 || products.SourceRows != 7 || !strings.Contains(products.Source, "from items") {
		t.Fatalf("products finding = %+v, want 7 runs fed by the 7 rows of the item lookups", products)
	}
	if !strings.Contains(products.Message, "rows that the runs of") {
		t.Errorf("message %q should say the rows come from all the runs", products.Message)
	}
}

func TestListing(t *testing.T) {
	stmts := []proxy.Statement{{SQL: "BEGIN", Tag: "BEGIN"}, data("SELECT id, user_id FROM orders ORDER BY id", 4)}
	for i := 0; i < 4; i++ {
		stmts = append(stmts, data(fmt.Sprintf("SELECT name FROM users WHERE id = %d", i), 1))
	}
	for i := 0; i < 3; i++ {
		stmts = append(stmts, data(fmt.Sprintf("SELECT a FROM x WHERE id = %d", i), 1), data(fmt.Sprintf("SELECT b FROM y WHERE id = %d", i), 2))
	}
	stmts = append(stmts, data("SELECT count(*) FROM orders", 1), proxy.Statement{SQL: "COMMIT", Tag: "COMMIT"})
	want := `12 data statements (and 2 control statements, counted apart: begin, commit):
     1.  SELECT id, user_id FROM orders ORDER BY id  -- 4 rows
   2-5.  ×4  select name from users where id = ?  -- 1 row each  [N+1]
  6-11.  ×3  select a from x where id = ?  -- 1 row each  [N+1]
             select b from y where id = ?  -- 2 rows each  [N+1]
    12.  SELECT count(*) FROM orders  -- 1 row
`
	if got := Listing(stmts); got != want {
		t.Errorf("Listing:\n%s\nwant:\n%s", got, want)
	}
}

func TestOverFetch(t *testing.T) {
	// The starter's pattern: 6 orders by 3 users, one lookup per order.
	stmts := []proxy.Statement{data("SELECT id, user_id FROM orders", 6)}
	for _, u := range []int{1, 2, 1, 3, 2, 1} {
		stmts = append(stmts, data(fmt.Sprintf("SELECT name FROM users WHERE id = %d", u), 1))
	}
	f := OverFetch(stmts)
	if len(f) != 1 || f[0].Kind != "over-fetch" || f[0].Count != 3 || !strings.HasPrefix(f[0].Message, "3 of the 12 rows") || !strings.Contains(f[0].Message, "ran 6 times for 3 distinct values") {
		t.Fatalf("OverFetch = %+v, want 3 of 12 rows fetched again", f)
	}
	// One value, said so.
	one := []proxy.Statement{data("SELECT name FROM users WHERE id = 1", 1), data("SELECT name FROM users WHERE id = 1", 1)}
	if f := OverFetch(one); len(f) != 1 || !strings.Contains(f[0].Message, "ran 2 times for 1 distinct value)") || !strings.HasPrefix(f[0].Message, "1 of the 2 rows the database returned was fetched again") {
		t.Errorf("OverFetch = %+v, want 1 distinct value", f)
	}
	// Extended protocol: the parameters tell repeats apart.
	ext := func(params string) proxy.Statement {
		s := data("SELECT name FROM users WHERE id = $1", 1)
		s.Extended, s.Params = true, params
		return s
	}
	if f := OverFetch([]proxy.Statement{ext("a"), ext("b"), ext("c")}); len(f) != 0 {
		t.Errorf("distinct parameters: %+v, want nothing", f)
	}
	if f := OverFetch([]proxy.Statement{ext("a"), ext("b"), ext("a")}); len(f) != 1 || f[0].Count != 1 {
		t.Errorf("a repeated parameter: %+v, want one repeat", f)
	}
	// Not true of a fixed solution, nor of volatile statements or writes.
	fixed := []proxy.Statement{data("SELECT o.id, u.name FROM orders o JOIN users u ON u.id = o.user_id", 6)}
	volatile := []proxy.Statement{data("SELECT nextval('s') FROM t", 1), data("SELECT nextval('s') FROM t", 1)}
	writes := []proxy.Statement{{SQL: "UPDATE t SET a = 1", Tag: "UPDATE 1", Data: true}, {SQL: "UPDATE t SET a = 1", Tag: "UPDATE 1", Data: true}}
	for _, s := range [][]proxy.Statement{fixed, volatile, writes} {
		if f := OverFetch(s); len(f) != 0 {
			t.Errorf("OverFetch(%v) = %+v, want nothing", s, f)
		}
	}
}

// A value in a message is shown as a program would have sent it, not with
// json.Marshal's HTML escapes.
func TestDiffShowsValuesAsSent(t *testing.T) {
	got := DiffJSON(map[string]any{"name": "Salt & Pepper <set>"}, map[string]any{"name": "Salt"})
	if want := `name: want "Salt & Pepper <set>", got "Salt"`; got != want {
		t.Errorf("DiffJSON = %q, want %q", got, want)
	}
}

func TestRefusals(t *testing.T) {
	if got := Refusals([]proxy.Statement{{SQL: "SELECT 1", Data: true}}); got != "" {
		t.Errorf("Refusals of no error = %q, want \"\"", got)
	}
	bad := proxy.Statement{SQL: "SELECT u.emial\n  FROM users u", Error: "42703: column u.emial does not exist"}
	aborted := proxy.Statement{SQL: "SELECT 2", Error: "25P02: current transaction is aborted"}
	other := proxy.Statement{SQL: "SELECT 3", Error: "42601: syntax error"}
	got := Refusals([]proxy.Statement{bad, bad, {SQL: "SELECT 1"}, aborted, other})
	want := "; the database refused `SELECT u.emial FROM users u`: 42703: column u.emial does not exist; and `SELECT 2`: 25P02: current transaction is aborted (and 1 other statement)"
	if got != want {
		t.Errorf("Refusals =\n %q\nwant\n %q", got, want)
	}
	ended := proxy.Statement{SQL: "SELECT pg_terminate_backend(pg_backend_pid())", Error: "57P01: terminating connection due to administrator command"}
	got = Refusals([]proxy.Statement{ended, ended, other})
	want = "; the database server ended the solution's connection while it ran `SELECT pg_terminate_backend(pg_backend_pid())`: 57P01: terminating connection due to administrator command; the database refused `SELECT 3`: 42601: syntax error"
	if got != want {
		t.Errorf("Refusals =\n %q\nwant\n %q", got, want)
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ ctype, want string }{
		{"application/json", ""},
		{"application/json; charset=utf-8", ""},
		{"application/json;charset", ""}, // a bad parameter, the right type
		{"text/plain; charset=utf-8", `request 2: the body is right, but its Content-Type is "text/plain; charset=utf-8"; want application/json`},
		{"", "request 2: the body is right, but its Content-Type is missing; want application/json"},
	}
	for _, tt := range tests {
		got := ContentType([]Response{{ContentType: "application/json"}, {ContentType: tt.ctype}})
		if (tt.want == "" && got != "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("ContentType(%q) = %q, want %q", tt.ctype, got, tt.want)
		}
	}
}

// The N+1 finding is worded from the real counts: runs against the
// source's rows, and the keys each run carried as its text shows them.
func TestNPlusOneWording(t *testing.T) {
	const orders = "SELECT id, user_id FROM orders"
	const src = "`select id, user_id from orders`"
	lookups := func(n int, sql func(i int) string) []proxy.Statement {
		var out []proxy.Statement
		for i := 0; i < n; i++ {
			out = append(out, data(sql(i), 1))
		}
		return out
	}
	in := func(n int) func(int) string {
		return func(i int) string {
			var ks []string
			for j := 0; j < n; j++ {
				ks = append(ks, fmt.Sprintf("$%d", j+1))
			}
			return "SELECT name FROM users WHERE id IN (" + strings.Join(ks, ", ") + ")"
		}
	}
	one := func(i int) string { return fmt.Sprintf("SELECT name FROM users WHERE id = %d", i) }
	anyArray := func(int) string { return "SELECT name FROM users WHERE id = ANY($1)" }
	with := func(head proxy.Statement, rest ...[]proxy.Statement) []proxy.Statement {
		out := []proxy.Statement{head}
		for _, r := range rest {
			out = append(out, r...)
		}
		return out
	}
	tests := []struct {
		name  string
		stmts []proxy.Statement
		want  string
	}{
		{"once per row", with(data(orders, 100), lookups(100, one)),
			"`select name from users where id = ?` ran 100 times in one request, once for each of the 100 rows of " + src +
				": fetch them in one statement (a JOIN, or WHERE ... = ANY($1) with all the keys)"},
		{"chunked batch", with(data(orders, 100), lookups(10, in(10))),
			"`select name from users where id in (...10)` ran 10 times in one request, 10 keys each, for the 100 rows of " + src +
				": a chunked batch; one statement with all the keys would do (WHERE ... = ANY($1) with all of them in one array, or a JOIN)"},
		{"chunks of unequal size", with(data(orders, 100), lookups(3, in(10)), lookups(1, in(5))),
			"`select name from users where id in (...10)` ran 4 times in one request, 5 to 10 keys each, for the 100 rows of " + src + ": a chunked batch;"},
		{"chunks in arrays", with(data(orders, 100), lookups(5, anyArray)),
			"`select name from users where id = any(?)` ran 5 times in one request, each with an array of keys, for the 100 rows of " + src + ": a chunked batch;"},
		{"some of the rows", with(data(orders, 100), lookups(30, one)),
			"`select name from users where id = ?` ran 30 times in one request, once each for 30 of the 100 rows of " + src +
				": fetch them in one statement"},
		{"more runs than rows", with(data(orders, 4), lookups(6, one)),
			"`select name from users where id = ?` ran 6 times in one request, more times than the 4 rows of " + src +
				" (the most rows a statement before it returned): fetch them in one statement"},
		{"a list per row", with(data(orders, 10), lookups(10, in(3))),
			"`select name from users where id in (...3)` ran 10 times in one request, once for each of the 10 rows of " + src + " (3 keys each): fetch them in one statement"},
		{"chunks as many keys as rows, other rows as many as the runs", with(data(orders, 100), []proxy.Statement{data("SELECT id FROM regions", 10)}, lookups(10, in(10))),
			"`select name from users where id in (...10)` ran 10 times in one request, 10 keys each, for the 100 rows of " + src + ": a chunked batch;"},
		{"no source", lookups(3, one), "`select name from users where id = ?` ran 3 times in one request"},
		{"no source, chunked", lookups(3, in(10)), "`select name from users where id in (...10)` ran 3 times in one request, 10 keys each"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NPlusOne(tt.stmts)
			if len(f) != 1 {
				t.Fatalf("findings = %+v, want one", f)
			}
			if !strings.HasPrefix(f[0].Message, tt.want) || (strings.HasPrefix(tt.name, "no source") && f[0].Message != tt.want) {
				t.Errorf("message:\n %s\nwant it to begin:\n %s", f[0].Message, tt.want)
			}
		})
	}
}

// Shapes shows each group as its first statement was written, while
// grouping the forms of one lookup together.
func TestShapesShowTheStatementAsWritten(t *testing.T) {
	stmts := []proxy.Statement{
		data("SELECT name FROM users WHERE id IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10),
		data("SELECT name FROM users WHERE id = ANY($1)", 10),
		data("SELECT name FROM users WHERE id = 7", 1),
	}
	sh := Shapes(stmts)
	if len(sh) != 1 || sh[0].Count != 3 || sh[0].Normalized != "select name from users where id in (...10)" {
		t.Errorf("Shapes = %+v, want one shape of 3 shown as its IN list of 10", sh)
	}
	if got := Shapes(stmts[1:2])[0].Normalized; got != "select name from users where id = any(?)" {
		t.Errorf("= ANY($1) shows as %q", got)
	}
}

// insertRows is an INSERT of n rows of two parameters, as pgjdbc rewrites
// a batch (reWriteBatchedInserts).
func insertRows(table string, n int) proxy.Statement {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf("($%d, $%d)", 2*i+1, 2*i+2)
	}
	return proxy.Statement{SQL: "INSERT INTO " + table + " (a, b) VALUES " + strings.Join(rows, ", "), Tag: fmt.Sprintf("INSERT 0 %d", n), Rows: int64(n), Data: true}
}

// Multi-row INSERTs of different lengths, the chunks of one batch, share a
// shape but are one batched write, not an N+1; an INSERT per row is one,
// and a batch among its runs does not hide it.
func TestNPlusOneBatchedInsert(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []int // rows of each INSERT, in order
		nplus1  bool
		message string
	}{
		{"pgjdbc's chunks of a batch of 100", []int{64, 32, 4}, false, ""},
		{"two batches of 300, chunked", []int{128, 128, 32, 8, 4, 128, 128, 32, 8, 4}, false, ""},
		{"a batch whose last chunk is one row", []int{64, 1}, false, ""},
		{"an INSERT per row", []int{1, 1, 1, 1}, true, "ran 4 times in one request, once for each of the 4 rows of `select id from orders`: insert them in one statement"},
		{"an INSERT per row, and a batch", []int{64, 1, 1, 1, 1}, true, "ran 5 times in one request (4 of one row each, and 1 multi-row INSERT, a batched write), once for each of the 4 rows of `select id from orders`: insert them in one statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := []proxy.Statement{data("SELECT id FROM orders", 4)}
			for _, n := range tt.chunks {
				stmts = append(stmts, insertRows("log", n))
			}
			shapes := Shapes(stmts)
			var insert reports.Shape
			for _, sh := range shapes {
				if strings.HasPrefix(sh.Normalized, "insert") {
					insert = sh
				}
			}
			if insert.Count != len(tt.chunks) || insert.NPlusOne != tt.nplus1 {
				t.Errorf("the INSERT shape %+v: want %d runs in one shape, N+1 %v", insert, len(tt.chunks), tt.nplus1)
			}
			f := NPlusOne(stmts)
			switch {
			case !tt.nplus1 && len(f) > 0:
				t.Errorf("findings %+v, want none for a batched write", f)
			case tt.nplus1 && (len(f) != 1 || !strings.Contains(f[0].Message, tt.message)):
				t.Errorf("findings %+v, want one saying %q", f, tt.message)
			}
			if got, want := strings.Contains(Listing(stmts), "[N+1]"), tt.nplus1; got != want {
				t.Errorf("the listing flags an N+1: %v, want %v:\n%s", got, want, Listing(stmts))
			}
		})
	}
}

package reports

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

var gradedAt = time.Date(2026, 11, 24, 15, 58, 51, 0, time.UTC)

const starterMessage = "`select name, email from users where id = ?` ran 100 times in one request, once for each of the 100 rows of `select id, user_id, product from orders order by id`: fetch them in one statement (a JOIN, or WHERE ... = ANY($1) with all the keys)"

func starterFinding() Finding {
	return Finding{Kind: "n+1", Fingerprint: "31d281a6ce1a9c0d", Normalized: "select name, email from users where id = ?", Count: 100,
		Source: "select id, user_id, product from orders order by id", SourceRows: 100, Message: starterMessage}
}

func base(path, lang, digest string) Card {
	return Card{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "nplus1", Version: "v0.3.0"},
		GradedAt:      gradedAt,
		Challenge: Challenge{ID: "orders-users", Title: "Orders and their users",
			Digest: "sha256:48ed371aff41128e794cb68674eeef8f4568fd5de9be9dad40a2275c88c37efe", MaxStatements: 2, P95BudgetMS: 100},
		Solution:    Solution{Path: path, Language: lang, Digest: digest},
		Environment: Environment{PostgresVersion: "15.18 (Debian 15.18-0+deb12u1)", Provider: "local", RTTMS: 5, Seed: 333387659, Size: 100, OS: "linux", Arch: "amd64"},
	}
}

// passCard is the Go reference fix with the starter measured as baseline,
// figures from a real grade.
func passCard() *Card {
	c := base("challenges/orders-users/reference/go", "go", "sha256:81333349577a0d6ef9902a77fea0a89b72d2e6d2d4666bacc22410ea7b8a487c")
	c.Verdict = Pass
	c.Checks = []Check{
		{Name: "correct", Status: Pass, Message: "all 5 responses match the expected JSON"},
		{Name: "statements", Status: Pass, Value: Float(1), Limit: Float(2), Unit: "statements", Message: "at most 1 data statement per request (limit 2)"},
		{Name: "latency", Status: Pass, Value: Float(6.3), Limit: Float(100), Unit: "ms", Message: "p95 6.3 ms, p50 6.1 ms over 3 requests at a simulated 5ms round trip (budget 100ms)"},
	}
	c.Metrics = &Metrics{Statements: 1, RoundTrips: 2, PrepareOnlyRoundTrips: 1, Requests: 5, Timed: 3,
		Latency: LatencyMS{P50: 6.14, P95: 6.3, Max: 6.3}, Scaling: []SizeStatements{{Size: 10, Statements: 1}, {Size: 100, Statements: 1}}}
	c.Shapes = []Shape{{Fingerprint: "62b7267faa6f0469",
		Normalized: "select o.id, o.product, u.id, u.name, u.email from orders as o join users as u on u.id = o.user_id order by o.id",
		Example:    "\n\t\tSELECT o.id, o.product, u.id, u.name, u.email\n\t\tFROM orders AS o\n\t\tJOIN users AS u ON u.id = o.user_id\n\t\tORDER BY o.id",
		Count:      1, Rows: 100, Data: true}}
	c.Baseline = &Baseline{Language: "go", Metrics: Metrics{Statements: 101, RoundTrips: 103, PrepareOnlyRoundTrips: 2, Requests: 5, Timed: 3,
		Latency: LatencyMS{P50: 585.35, P95: 598.58, Max: 598.58}}, Findings: []Finding{starterFinding()}}
	Annotate(&c)
	return &c
}

// failCard is the Go starter graded on its own.
func failCard() *Card {
	c := base("challenges/orders-users/starter/go", "go", "sha256:2b70de8519ae94562716dab21b0b2fc948ae7683b182eb1f0eb966b3062b65e4")
	c.Environment.Seed = 1599478776
	c.Verdict = Fail
	c.Checks = []Check{
		{Name: "correct", Status: Pass, Message: "all 5 responses match the expected JSON"},
		{Name: "statements", Status: Fail, Value: Float(101), Limit: Float(2), Unit: "statements", Message: "101 data statements in one request; the limit is 2"},
		{Name: "latency", Status: Fail, Value: Float(598.58), Limit: Float(100), Unit: "ms", Message: "p95 598.6 ms, p50 585.4 ms over 3 requests at a simulated 5ms round trip (budget 100ms)"},
	}
	c.Metrics = &Metrics{Statements: 101, RoundTrips: 103, PrepareOnlyRoundTrips: 2, Requests: 5, Timed: 3, Latency: LatencyMS{P50: 585.35, P95: 598.58, Max: 598.58}}
	c.Shapes = []Shape{
		{Fingerprint: "31d281a6ce1a9c0d", Normalized: "select name, email from users where id = ?", Example: "SELECT name, email FROM users WHERE id = $1", Count: 100, Rows: 100, Data: true, NPlusOne: true},
		{Fingerprint: "dddddca4128c6f67", Normalized: "select id, user_id, product from orders order by id", Example: "SELECT id, user_id, product FROM orders ORDER BY id", Count: 1, Rows: 100, Data: true},
	}
	c.Findings = []Finding{starterFinding()}
	Annotate(&c)
	return &c
}

// batchedCard is a Python fix with a batched = ANY lookup and no baseline.
func batchedCard() *Card {
	c := base("challenges/orders-users/reference/python", "python", "sha256:5f0c4e0ab1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8")
	c.Verdict = Pass
	c.Checks = []Check{
		{Name: "correct", Status: Pass, Message: "all 5 responses match the expected JSON"},
		{Name: "statements", Status: Pass, Value: Float(2), Limit: Float(2), Unit: "statements", Message: "at most 2 data statements per request (limit 2)"},
		{Name: "latency", Status: Pass, Value: Float(14.2), Limit: Float(100), Unit: "ms", Message: "p95 14.2 ms, p50 13.8 ms over 3 requests at a simulated 5ms round trip (budget 100ms)"},
	}
	c.Metrics = &Metrics{Statements: 2, ControlStatements: 2, RoundTrips: 4, Requests: 5, Timed: 3, Latency: LatencyMS{P50: 13.8, P95: 14.2, Max: 14.2}}
	c.Shapes = []Shape{
		{Fingerprint: "dddddca4128c6f67", Normalized: "select id, user_id, product from orders order by id", Example: "SELECT id, user_id, product FROM orders ORDER BY id", Count: 1, Rows: 100, Data: true},
		{Fingerprint: "8f1c2a0b3d4e5f60", Normalized: "select id, name, email from users where id = any(array[...4])", Example: "SELECT id, name, email FROM users WHERE id = ANY(ARRAY[3,7,12,19])", Count: 1, Rows: 4, Data: true},
		{Fingerprint: "a1b2c3d4e5f60718", Normalized: "begin", Example: "BEGIN", Count: 1, Data: false},
	}
	Annotate(&c)
	return &c
}

// wrongCard is a fix in one JOIN whose answers were wrong (an INNER JOIN
// dropped the orders of deleted users): its one statement and low latency
// prove nothing, and the grader marked those checks skipped.
func wrongCard() *Card {
	c := base("./solution", "go", "sha256:2f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
	c.Verdict = Fail
	c.Checks = []Check{
		{Name: "correct", Status: Fail, Message: "request 1: the response: want 100 elements, got 97; first missing: {\"id\":41,\"product\":\"Tea\",\"user\":null}"},
		{Name: "statements", Status: Skipped, Value: Float(1), Limit: Float(2), Unit: "statements", Message: "not judged, as the answers were wrong: at most 1 data statement per request (limit 2)"},
		{Name: "latency", Status: Skipped, Value: Float(6.1), Limit: Float(100), Unit: "ms", Message: "not judged, as the answers were wrong: p95 6.1 ms, p50 5.9 ms over 3 requests at a simulated 5ms round trip (budget 100ms)"},
	}
	c.Metrics = &Metrics{Statements: 1, RoundTrips: 2, Requests: 5, Timed: 3, Latency: LatencyMS{P50: 5.9, P95: 6.1, Max: 6.1}}
	c.Shapes = []Shape{{Fingerprint: "72b7267faa6f0469",
		Normalized: "select o.id, o.product, u.id, u.name, u.email from orders as o join users as u on u.id = o.user_id order by o.id",
		Example:    "SELECT o.id, o.product, u.id, u.name, u.email FROM orders AS o JOIN users AS u ON u.id = o.user_id ORDER BY o.id",
		Count:      1, Rows: 97, Data: true}}
	c.Baseline = &Baseline{Language: "go", Metrics: Metrics{Statements: 101, RoundTrips: 103, PrepareOnlyRoundTrips: 2, Requests: 5, Timed: 3,
		Latency: LatencyMS{P50: 585.35, P95: 598.58, Max: 598.58}}, Findings: []Finding{starterFinding()}}
	Annotate(&c)
	return &c
}

// errorCard is a grade that could not be made.
func errorCard() *Card {
	c := base("./solution", "go", "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
	c.Verdict = Error
	c.Error = "start postgres: initdb not found: install PostgreSQL's server binaries (apt-get install postgresql) or pass --database-url"
	Annotate(&c)
	return &c
}

// nobuildCard is a solution that does not compile.
func nobuildCard() *Card {
	c := base("./solution", "go", "sha256:1f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
	c.Verdict = Fail
	c.Checks = []Check{
		{Name: "build", Status: Fail, Message: "go build failed (exit 1)"},
		{Name: "start", Status: Skipped, Message: "not run: the build failed"},
		{Name: "correct", Status: Skipped, Message: "not run: the build failed"},
	}
	c.Output = "./main.go:42:2: undefined: usersByID\n```\n"
	Annotate(&c)
	return &c
}

func fixtures() map[string]*Card {
	return map[string]*Card{"pass": passCard(), "fail": failCard(), "batched": batchedCard(), "error": errorCard(), "nobuild": nobuildCard(), "wrong": wrongCard()}
}

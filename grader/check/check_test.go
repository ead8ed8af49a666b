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
	}{
		{"same, keys reordered", `[{"product":"Tea","id":1.0,"user":{"email":"o@x","name":"O'Brien","id":2}},{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`, 200, reports.Pass, ""},
		{"wrong field", `[{"id":1,"product":"Tea","user":{"id":2,"name":"O''Brien","email":"o@x"}},{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}}]`, 200, reports.Fail, `[0] (id 1).user.name: want "O'Brien", got "O''Brien"`},
		{"wrong shape", `[{"id":1,"product":"Tea","user_name":"O'Brien"},{"id":2}]`, 200, reports.Fail, `[0] (id 1): missing field "user"`},
		{"missing order", `[{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","email":"o@x"}}]`, 200, reports.Fail, "want 2 elements, got 1; first missing: {\"id\":2"},
		{"wrong order", `[{"id":2,"product":"Café","user":{"id":3,"name":"Zoë","email":"z@x"}},{"id":1,"product":"Tea","user":{"id":2,"name":"O'Brien","email":"o@x"}}]`, 200, reports.Fail, "[0] (id 1).id: want 1, got 2"},
		{"not json", `<html>`, 200, reports.Fail, "not JSON"},
		{"server error", `boom`, 500, reports.Fail, "status 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Correct([]byte(want), []Response{{Status: tt.status, Body: []byte(tt.body)}})
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
	if c := Statements([]int{2, 2, 101}, 2); c.Status != reports.Fail || *c.Value != 101 {
		t.Errorf("Statements = %+v", c)
	}
	if c := Statements([]int{1, 1}, 2); c.Status != reports.Pass {
		t.Errorf("Statements = %+v", c)
	}
}

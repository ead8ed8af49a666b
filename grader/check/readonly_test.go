package check

import (
	"testing"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// A statement that writes (by its kind, a large-object function, or a
// read-only transaction's refusal) is a write attempt; one refused for
// another privilege is named as refused; each is listed once.
func TestReadOnlyResult(t *testing.T) {
	update := proxy.Statement{SQL: "UPDATE users SET name = name", Error: "25006: cannot execute UPDATE in a read-only transaction"}
	stmts := []proxy.Statement{
		{SQL: "SELECT 1", Tag: "SELECT 1"},
		update, update,
		{SQL: "SELECT lo_from_bytea(0, 'x')", Tag: "SELECT 1"}, // where the role still may
		{SQL: "SELECT pg_terminate_backend(42)", Error: "42501: permission denied to terminate process"},
		{SQL: `SET temp_file_limit = -1`, Error: `42501: permission denied to set parameter "temp_file_limit"`},
	}
	c := ReadOnly(nil, nil, stmts)
	want := `3 write attempts (the endpoint must only read): "UPDATE users SET name = name" (25006: cannot execute UPDATE in a read-only transaction); "SELECT lo_from_bytea(0, 'x')" (SELECT 1); ` +
		`2 refused statements beyond reading: "SELECT pg_terminate_backend(42)" (refused: 42501: permission denied to terminate process); "SET temp_file_limit = -1" (refused: 42501: permission denied to set parameter "temp_file_limit")`
	if c.Status != reports.Fail || c.Message != want {
		t.Errorf("read-only = %s %q\nwant fail %q", c.Status, c.Message, want)
	}
	if c := ReadOnly(nil, nil, stmts[:1]); c.Status != reports.Pass {
		t.Errorf("read-only = %+v, want pass", c)
	}
}

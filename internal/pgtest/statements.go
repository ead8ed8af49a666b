package pgtest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/grader/sqlshape"
)

// StatStatements are the server settings that load pg_stat_statements, for
// StartWith: every top-level statement, utility statements too. The test
// still runs CREATE EXTENSION pg_stat_statements to read it.
func StatStatements() map[string]string {
	return map[string]string{
		"shared_preload_libraries":         "pg_stat_statements",
		"pg_stat_statements.track":         "top",
		"pg_stat_statements.track_utility": "on",
		"pg_stat_statements.max":           "10000",
	}
}

// ShapeCounts are the calls and rows of the statements of one shape, and
// one of them as an example.
type ShapeCounts struct {
	Calls, Rows int64
	Example     string
}

// Counts are ShapeCounts by statement fingerprint (sqlshape.Of).
type Counts map[string]*ShapeCounts

// Add counts calls runs of sql that returned or touched rows rows in all.
func (c Counts) Add(sql string, calls, rows int64) {
	fp := sqlshape.Of(sql).Fingerprint
	if c[fp] == nil {
		c[fp] = &ShapeCounts{Example: sql}
	}
	c[fp].Calls += calls
	c[fp].Rows += rows
}

// Total is the calls of every shape.
func (c Counts) Total() int64 {
	var n int64
	for _, s := range c {
		n += s.Calls
	}
	return n
}

// TaggedRows reads the row count a command tag reports ("SELECT 5",
// "INSERT 0 3"), as the server records it in pg_stat_statements.
func TaggedRows(tag string) int64 {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return 0
	}
	switch f[0] {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "FETCH":
		n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		return n
	}
	return 0
}

// ServerData reads what pg_stat_statements counted of the data statements
// (sqlshape.IsData: reads and writes, a driver's catalog reads included) of
// role in database, by shape. conn must be a superuser's, or
// pg_read_all_stats'.
func ServerData(ctx context.Context, conn *pgx.Conn, role, database string) (Counts, error) {
	rows, err := conn.Query(ctx, `SELECT query, calls, rows FROM pg_stat_statements
		WHERE userid = $1::regrole AND dbid = (SELECT oid FROM pg_database WHERE datname = $2)`, role, database)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	out := Counts{}
	var q string
	var calls, n int64
	_, err = pgx.ForEachRow(rows, []any{&q, &calls, &n}, func() error {
		if sqlshape.IsData("", q) {
			out.Add(q, calls, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	return out, nil
}

// Diff compares a tracer's counts of kind ("data") with those of source
// ("pg_stat_statements"), shape by shape, and says every difference, in a
// stable order; none means they are the same.
func Diff(kind string, tracer, server Counts, source string) []string {
	var out []string
	for fp, s := range server {
		tc := tracer[fp]
		if tc == nil {
			tc = &ShapeCounts{}
		}
		if tc.Calls != s.Calls || tc.Rows != s.Rows {
			out = append(out, fmt.Sprintf("%s %q: tracer %d calls %d rows, %s %d calls %d rows", kind, s.Example, tc.Calls, tc.Rows, source, s.Calls, s.Rows))
		}
	}
	for fp, tc := range tracer {
		if server[fp] == nil {
			out = append(out, fmt.Sprintf("%s %q: tracer %d calls %d rows, %s none", kind, tc.Example, tc.Calls, tc.Rows, source))
		}
	}
	sort.Strings(out)
	return out
}

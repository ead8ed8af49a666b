package grader

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// readOnlyCheck watches that the solution writes nothing: the database's
// checksum (db.stateSum) stays the same between the grader's own changes,
// and no statement tried to write or was refused.
type readOnlyCheck struct {
	sum     string
	changed []string
	err     error
}

// reset takes the checksum of the database as the grader just left it.
func (r *readOnlyCheck) reset(ctx context.Context, db *database) {
	if r.err == nil {
		r.sum, r.err = db.stateSum(ctx)
	}
}

// verify compares the database with the last checksum; when names the
// phase.
func (r *readOnlyCheck) verify(ctx context.Context, db *database, when string) {
	if r.err != nil {
		return
	}
	sum, err := db.stateSum(ctx)
	if err != nil {
		r.err = err
		return
	}
	if sum != r.sum {
		r.changed = append(r.changed, fmt.Sprintf("%s (%s)", when, strings.Join(changedParts(r.sum, sum), ", ")))
	}
}

// changedParts names the parts of two stateSums that differ.
func changedParts(before, after string) []string {
	digests := func(sum string) map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(sum), "\n") {
			name, digest, _ := strings.Cut(line, ": ")
			m[name] = digest
		}
		return m
	}
	b, a := digests(before), digests(after)
	var names []string
	for name, d := range a {
		if b[name] != d {
			names = append(names, name)
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// writeTags are command tags of statements that change data or schema.
var writeTags = []string{"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "REINDEX", "VACUUM", "CLUSTER", "LOCK", "SECURITY", "REFRESH", "IMPORT"}

// loWrite finds a call of a function that makes or writes a large object.
var loWrite = regexp.MustCompile(`(?i)\b(lo_creat|lo_create|lo_from_bytea|lo_import|lo_put|lowrite|lo_truncate|lo_truncate64|lo_unlink)\s*\(`)

// result judges the run from the checksums and every statement the
// solution sent. A write attempt is a statement that writes by its kind or
// by a large-object function, or that a read-only transaction refused
// (25006); anything else the database refused for want of a privilege
// (42501: another session cancelled, a setting only a superuser may set)
// is named as refused.
func (r *readOnlyCheck) result(stmts []proxy.Statement) reports.Check {
	c := reports.Check{Name: "read-only", Status: reports.Pass}
	var attempts, refused []string
	for _, s := range stmts {
		word, _, _ := strings.Cut(s.Tag, " ")
		if word == "" {
			word = sqlshape.Verb(s.SQL)
		}
		quoted := fmt.Sprintf("%q", short(s.SQL, 80))
		switch {
		case strings.HasPrefix(s.Error, "25006") || slices.Contains(writeTags, word) || loWrite.MatchString(s.SQL):
			attempts = append(attempts, fmt.Sprintf("%s (%s)", quoted, firstNonEmpty(s.Error, s.Tag)))
		case strings.HasPrefix(s.Error, "42501"):
			refused = append(refused, fmt.Sprintf("%s (refused: %s)", quoted, s.Error))
		}
	}
	var msgs []string
	if len(r.changed) > 0 {
		msgs = append(msgs, "the database changed "+strings.Join(r.changed, ", "))
	}
	if len(attempts) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s (the endpoint must only read): %s", reports.Count(len(attempts), "write attempt"), firstDistinct(attempts, 3)))
	}
	if len(refused) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s beyond reading: %s", reports.Count(len(refused), "refused statement"), firstDistinct(refused, 3)))
	}
	switch {
	case r.err != nil:
		c.Status, c.Message = reports.Error, "could not checksum the database: "+r.err.Error()
	case len(msgs) > 0:
		c.Status, c.Message = reports.Fail, strings.Join(msgs, "; ")
	default:
		c.Message = fmt.Sprintf("no write attempted in %s; the database's checksum never changed", reports.Count(len(stmts), "statement"))
	}
	return c
}

// firstDistinct joins the first n distinct items with "; ".
func firstDistinct(items []string, n int) string {
	var out []string
	for _, it := range items {
		if len(out) < n && !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return strings.Join(out, "; ")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

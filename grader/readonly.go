package grader

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// readOnlyCheck watches that the solution writes nothing: the data's
// checksum stays the same between the grader's own changes, and no
// statement tried to write.
type readOnlyCheck struct {
	sum     string
	changed []string
	err     error
}

// reset takes the checksum of the data as the grader just left it.
func (r *readOnlyCheck) reset(ctx context.Context, db *database) {
	if r.err == nil {
		r.sum, r.err = db.checksum(ctx)
	}
}

// verify compares the data with the last checksum; when names the phase.
func (r *readOnlyCheck) verify(ctx context.Context, db *database, when string) {
	if r.err != nil {
		return
	}
	sum, err := db.checksum(ctx)
	if err != nil {
		r.err = err
		return
	}
	if sum != r.sum {
		r.changed = append(r.changed, when)
	}
}

// writeTags are command tags of statements that change data or schema.
var writeTags = []string{"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "REINDEX", "VACUUM", "CLUSTER", "LOCK"}

// result judges the run from the checksums and every statement the
// solution sent.
func (r *readOnlyCheck) result(stmts []proxy.Statement) reports.Check {
	c := reports.Check{Name: "read-only", Status: reports.Pass}
	var attempts []string
	for _, s := range stmts {
		word, _, _ := strings.Cut(s.Tag, " ")
		if strings.HasPrefix(s.Error, "25006") || strings.HasPrefix(s.Error, "42501") || slices.Contains(writeTags, word) {
			attempts = append(attempts, fmt.Sprintf("%q (%s)", short(s.SQL, 80), firstNonEmpty(s.Error, s.Tag)))
		}
	}
	switch {
	case r.err != nil:
		c.Status, c.Message = reports.Error, "could not checksum the data: "+r.err.Error()
	case len(r.changed) > 0:
		c.Status, c.Message = reports.Fail, "the data changed "+strings.Join(r.changed, ", ")
	case len(attempts) > 0:
		c.Status = reports.Fail
		c.Message = fmt.Sprintf("%d write attempts (the endpoint must only read): %s", len(attempts), strings.Join(attempts[:min(3, len(attempts))], "; "))
	default:
		c.Message = fmt.Sprintf("no write attempted in %s; the data's checksum never changed", reports.Count(len(stmts), "statement"))
	}
	return c
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

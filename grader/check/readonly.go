package check

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// writeTags are command tags of statements that change data or schema.
var writeTags = []string{"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "REINDEX", "VACUUM", "CLUSTER", "LOCK", "SECURITY", "REFRESH", "IMPORT"}

// loWrite finds a call of a function that makes or writes a large object.
var loWrite = regexp.MustCompile(`(?i)\b(lo_creat|lo_create|lo_from_bytea|lo_import|lo_put|lowrite|lo_truncate|lo_truncate64|lo_unlink)\s*\(`)

// ReadOnly judges a run from the database's checksums (changed names when
// the database changed under the solution, sumErr why it could not be
// checksummed) and every statement the solution sent. A write attempt is a statement that writes by its kind or
// by a large-object function, or that a read-only transaction refused
// (25006); anything else the database refused for want of a privilege
// (42501: another session cancelled, a setting only a superuser may set)
// is named as refused.
func ReadOnly(changed []string, sumErr error, stmts []proxy.Statement) reports.Check {
	c := reports.Check{Name: "read-only", Status: reports.Pass}
	var attempts, refused []string
	for _, s := range stmts {
		word, _, _ := strings.Cut(s.Tag, " ")
		if word == "" {
			word = sqlshape.Verb(s.SQL)
		}
		quoted := fmt.Sprintf("%q", shortN(s.SQL, 80))
		switch {
		case strings.HasPrefix(s.Error, "25006") || slices.Contains(writeTags, word) || loWrite.MatchString(s.SQL):
			attempts = append(attempts, fmt.Sprintf("%s (%s)", quoted, firstNonEmpty(s.Error, s.Tag)))
		case strings.HasPrefix(s.Error, "42501"):
			refused = append(refused, fmt.Sprintf("%s (refused: %s)", quoted, s.Error))
		}
	}
	var msgs []string
	if len(changed) > 0 {
		msgs = append(msgs, "the database changed "+strings.Join(changed, ", "))
	}
	if len(attempts) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s (the endpoint must only read): %s", reports.Count(len(attempts), "write attempt"), firstDistinct(attempts, 3)))
	}
	if len(refused) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s beyond reading: %s", reports.Count(len(refused), "refused statement"), firstDistinct(refused, 3)))
	}
	switch {
	case sumErr != nil:
		c.Status, c.Message = reports.Error, "could not checksum the database: "+sumErr.Error()
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

// shortN is s cut to n runes, "…" marking the cut.
func shortN(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

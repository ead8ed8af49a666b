package grader

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// readOnlyCheck watches that the solution writes nothing: the database's
// checksum (db.stateSum) stays the same between the grader's own changes
// (check.ReadOnly judges it, and the statements).
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

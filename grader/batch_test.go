package grader_test

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/internal/pgtest"
	"github.com/nplus1/nplus1/reports"
)

// A batch on one server: each solution graded against its own challenge
// (named by its nplus1.yaml), one seed for all, each challenge's data seeded
// once and copied per grade, each starter measured once for the baselines,
// and nothing left on the server afterwards.
func TestGradeManyOnOneServer(t *testing.T) {
	server := pgtest.Start(t)
	tmp := leaktest.PrivateTmp(t) // the grades', not the server's
	dirs := []string{
		"../challenges/orders-users/reference/go",
		"../challenges/orders-users/starter/go",
		"../challenges/orders-items/reference/go",
		"../challenges/orders-users/reference/python",
	}
	var mu sync.Mutex
	logs := map[string]*strings.Builder{}
	progress := func(dir string) io.Writer {
		mu.Lock()
		defer mu.Unlock()
		logs[dir] = &strings.Builder{}
		return lockedWriter{&mu, logs[dir]}
	}
	results, err := grader.GradeMany(context.Background(), dirs, 2, grader.Options{
		Provider: postgres.NewURL(server.ConnectionString()),
		Requests: 3, Python: python(), Version: "test",
	}, progress)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{reports.Pass, reports.Fail, reports.Pass, reports.Pass}
	digests := map[string]string{}    // challenge -> data digest
	baselines := map[string]float64{} // challenge and language -> the baseline's p95
	for i, r := range results {
		if r.Err != nil || r.Card == nil {
			t.Fatalf("%s: %v", dirs[i], r.Err)
		}
		c := r.Card
		mu.Lock()
		log := logs[dirs[i]].String()
		mu.Unlock()
		if !strings.Contains(log, "postgres: a copy of the batch's seeded database on its url server") || c.Environment.Provider != "url" {
			t.Errorf("%s: provider %q, progress:\n%s\nwant the batch's url server named", dirs[i], c.Environment.Provider, log)
		}
		if c.Verdict != want[i] {
			t.Errorf("%s: verdict %s (%s), want %s; checks %+v", dirs[i], c.Verdict, c.Error, want[i], c.Checks)
		}
		if c.Environment.Seed != results[0].Card.Environment.Seed {
			t.Errorf("%s: seed %d, want the batch's one seed %d", dirs[i], c.Environment.Seed, results[0].Card.Environment.Seed)
		}
		if d, ok := digests[c.Challenge.ID]; ok && d != c.Environment.DataDigest {
			t.Errorf("%s: data digest %s, want %s like the other %s grades", dirs[i], c.Environment.DataDigest, d, c.Challenge.ID)
		}
		digests[c.Challenge.ID] = c.Environment.DataDigest
		// The starter is measured once per challenge and language.
		if c.Baseline == nil || c.Baseline.Metrics.Statements < 100 {
			t.Errorf("%s: baseline %+v, want the starter's N+1", dirs[i], c.Baseline)
			continue
		}
		key := c.Challenge.ID + " " + c.Baseline.Language
		if p95, ok := baselines[key]; ok && p95 != c.Baseline.Metrics.Latency.P95 {
			t.Errorf("%s: baseline p95 %v, want the batch's one measurement %v", dirs[i], c.Baseline.Metrics.Latency.P95, p95)
		}
		baselines[key] = c.Baseline.Metrics.Latency.P95
	}
	if len(baselines) != 3 {
		t.Errorf("baselines measured: %v, want orders-users go and python, orders-items go", baselines)
	}
	if len(digests) != 2 {
		t.Errorf("challenges graded: %v, want orders-users and orders-items", digests)
	}

	conn, err := pgx.Connect(t.Context(), server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var left []string
	rows, _ := conn.Query(t.Context(), "SELECT datname FROM pg_database WHERE datname LIKE 'nplus1%' UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'nplus1_%'")
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left on the server: %v", left)
	}
	leaktest.AssertNothingLeft(t, tmp)
}

// A card directory per solution, named by as much of its path as tells it
// apart from the others.
func TestCardDirs(t *testing.T) {
	got := grader.CardDirs("cards", []string{
		"challenges/orders-users/reference/go",
		"challenges/orders-items/reference/go",
		"submissions/alice",
		"other/alice",
		"submissions/bob/",
		"submissions/bob",
	})
	want := []string{
		"cards/orders-users-reference-go",
		"cards/orders-items-reference-go",
		"cards/submissions-alice",
		"cards/other-alice",
		"cards/bob",
		"cards/bob-2",
	}
	for i := range want {
		want[i] = filepath.FromSlash(want[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("CardDirs = %q, want %q", got, want)
	}
}

// lockedWriter writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// In a batch each solution's role gets a share of the server's
// connections: two solutions holding all they may (hostile/manyconns)
// leave a third that connects later its own (testdata/redteam5/connshare).
func TestBatchSharesConnections(t *testing.T) {
	server := pgtest.Start(t)
	leaktest.PrivateTmp(t)
	dirs := []string{"testdata/hostile/manyconns", "testdata/hostile/manyconns", "testdata/redteam5/connshare"}
	results, err := grader.GradeMany(context.Background(), dirs, 3, grader.Options{
		Provider: postgres.NewURL(server.ConnectionString()),
		Requests: 3, Python: python(), Version: "test", NoBaseline: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil || r.Card == nil {
			t.Fatalf("%s: %v", dirs[i], r.Err)
		}
		if c := r.Card; c.Verdict != reports.Pass {
			t.Errorf("%s: verdict %s (%s), checks %+v; want a pass", dirs[i], c.Verdict, c.Error, c.Checks)
		}
	}
}

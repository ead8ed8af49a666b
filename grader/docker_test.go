package grader_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/reports"
)

// dockerImage returns the PostgreSQL image the docker provider tests run:
// NPLUS1_POSTGRES_IMAGE, else the offline image, else the default image,
// whichever is present first (tests never pull). Without a Docker engine
// or an image it skips the test, and fails it in CI.
func dockerImage(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and "+format, args...)
		}
		t.Skipf(format, args...)
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		missing("no Docker client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		missing("no Docker engine: %v", err)
	}
	candidates := []string{"nplus1/postgres:15-offline", postgres.DefaultImage}
	if image := os.Getenv("NPLUS1_POSTGRES_IMAGE"); image != "" {
		candidates = []string{image}
	}
	for _, image := range candidates {
		if _, err := cli.ImageInspect(ctx, image); err == nil {
			return image
		}
	}
	missing("no PostgreSQL image among %q: run scripts/offline-postgres-image.sh", candidates)
	return ""
}

// counts is what must not depend on where Postgres runs.
type counts struct {
	Verdict    string
	Checks     map[string]string
	Statements int
	Control    int
	RoundTrips int
	Scaling    []reports.SizeStatements
	Findings   []string
	Baseline   int
}

func countsOf(card *reports.Card) counts {
	c := counts{Verdict: card.Verdict, Checks: map[string]string{}}
	for _, ch := range card.Checks {
		c.Checks[ch.Name] = ch.Status
	}
	if m := card.Metrics; m != nil {
		c.Statements, c.Control, c.RoundTrips, c.Scaling = m.Statements, m.ControlStatements, m.RoundTrips, m.Scaling
	}
	for _, f := range card.Findings {
		c.Findings = append(c.Findings, f.Normalized)
	}
	slices.Sort(c.Findings)
	if card.Baseline != nil {
		c.Baseline = card.Baseline.Metrics.Statements
	}
	return c
}

// TestLocalAndDockerAgree grades the same solutions, with the same seed,
// on the local provider and in a container: the verdicts and the statement
// counts must be the same.
func TestLocalAndDockerAgree(t *testing.T) {
	image := dockerImage(t)
	for _, tt := range []struct {
		name, dir string
		baseline  bool
	}{
		{"reference", "../challenges/orders-users/reference/go", true},
		{"starter", "../challenges/orders-users/starter/go", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cards := map[string]*reports.Card{}
			for name, p := range map[string]postgres.Provider{
				"local":  postgres.NewLocal(postgres.LocalOptions{}),
				"docker": postgres.NewDocker(postgres.DockerOptions{Image: image}),
			} {
				cards[name] = gradeDir(t, tt.dir, func(o *grader.Options) {
					o.Provider = p
					o.Seed = 4242
					o.NoBaseline = !tt.baseline
				})
				card := cards[name]
				if card.Verdict == reports.Error {
					t.Fatalf("%s: could not grade: %s", name, card.Error)
				}
				if card.Environment.Provider != name || card.Environment.PostgresVersion == "" {
					t.Errorf("%s: card environment = %+v, want provider %s and a server version", name, card.Environment, name)
				}
			}
			local, docker := countsOf(cards["local"]), countsOf(cards["docker"])
			if diff := cmp.Diff(local, docker); diff != "" {
				t.Errorf("local and docker grades differ (-local +docker):\n%s", diff)
			}
			t.Logf("%s: %s with %d data statements per request (baseline %d) on both; postgres %s and %s",
				tt.dir, local.Verdict, local.Statements, local.Baseline,
				cards["local"].Environment.PostgresVersion, cards["docker"].Environment.PostgresVersion)
		})
	}
	noContainersLeft(t)
}

// cancelAtLine cancels a grade when a progress line starting with prefix
// comes: the grade is then in the phase that line opens.
type cancelAtLine struct {
	prefix string
	cancel context.CancelFunc
}

func (w *cancelAtLine) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte(w.prefix)) {
		w.cancel()
	}
	return len(p), nil
}

// cancelInStart cancels a grade a moment into the start of Postgres.
type cancelInStart struct {
	postgres.Provider
	cancel context.CancelFunc
	after  time.Duration
}

func (p cancelInStart) Start(ctx context.Context) (postgres.Instance, error) {
	time.AfterFunc(p.after, p.cancel)
	return p.Provider.Start(ctx)
}

// TestDockerCancelInEachPhase cancels a grade, as SIGINT does, in each
// phase, and checks that no container, process or temp file is left.
func TestDockerCancelInEachPhase(t *testing.T) {
	image := dockerImage(t)
	solution, err := filepath.Abs("../challenges/orders-users/reference/go")
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []struct{ name, line string }{
		{"build", "build:"},
		{"postgres", ""}, // 300 ms into the start
		{"seed", "postgres:"},
		{"run", "seed:"},
		{"measure", "measure:"},
		{"baseline", "baseline:"},
	} {
		t.Run(phase.name, func(t *testing.T) {
			tmp := leaktest.PrivateTmp(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var p postgres.Provider = postgres.NewDocker(postgres.DockerOptions{Image: image})
			var progress io.Writer = io.Discard
			if phase.line == "" {
				p = cancelInStart{Provider: p, cancel: cancel, after: 300 * time.Millisecond}
			} else {
				progress = &cancelAtLine{prefix: phase.line, cancel: cancel}
			}
			start := time.Now()
			card, err := grader.Grade(ctx, grader.Options{
				Solution: solution, Challenge: "orders-users", Provider: p, Requests: 3,
				Python: python(), Version: "test", Progress: progress,
			})
			took := time.Since(start)
			if ctx.Err() == nil {
				t.Fatalf("the grade ended before the cancel: %v", err)
			}
			verdict := ""
			if card != nil {
				verdict = card.Verdict + " " + card.Error
			}
			t.Logf("cancelled in %s: returned after %v: %s %v", phase.name, took.Round(time.Millisecond), verdict, err)
			leaktest.AssertNothingLeft(t, tmp)
			noContainersLeft(t)
		})
	}
}

// noContainersLeft fails the test if a container the docker provider
// started in this process is still there.
func noContainersLeft(t *testing.T) {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{
		All: true,
		Filters: make(client.Filters).
			Add("label", postgres.ContainerLabel+"=1").
			Add("label", postgres.LabelPID+"="+strconv.Itoa(os.Getpid())),
	})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	for _, c := range list.Items {
		t.Errorf("container left behind: %s (%s)", c.ID[:12], c.State)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/reports"
)

func testPython() string {
	if p := os.Getenv("NPLUS1_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.RemoveAll(to); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func TestSolutionName(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	for dir, want := range map[string]string{
		"./solution":                           "solution",
		"solution/":                            "solution",
		"challenges/orders-users/reference/go": "challenges-orders-users-reference-go",
		".":                                    filepath.Base(wd),
		filepath.Join(wd, "sub", "fix"):        "sub-fix",
		"../elsewhere/fix":                     "fix",
		"/":                                    "solution",
	} {
		if got := solutionName(dir); got != want {
			t.Errorf("solutionName(%q) = %q, want %q", dir, got, want)
		}
	}
}

// Without --out, each solution's cards go to a directory of their own,
// nplus1-results/<challenge>/<solution>/, with every card kept in its
// history: a later fail of the same solution does not hide its pass
// (the terminal says where it is, and export finds it); another solution
// does not touch it; bad input (a typo in the directory, a bad flag)
// writes no card over it.
func TestCardsKeptPerSolutionWithHistory(t *testing.T) {
	needLocalPostgres(t)
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	copyDir(t, filepath.Join(repo, "challenges/orders-users/reference/python"), "solution")
	grade := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, append([]string{"grade"}, append(args, "--python", testPython(), "--sandbox", "off", "--postgres", "local",
			"--no-baseline", "--requests", "3")...)...)
	}
	dir := filepath.Join("nplus1-results", "orders-users", "solution")
	latest := func() *reports.Card {
		t.Helper()
		c, err := reports.ReadCard(filepath.Join(dir, "result.json"))
		if err != nil {
			t.Fatalf("no card in %s: %v", dir, err)
		}
		return c
	}

	code, stdout, stderr := grade("./solution")
	if code != exitPass || !strings.Contains(stdout, "card: "+filepath.Join(dir, "result.md")) {
		t.Fatalf("first grade: exit %d, want 0 and its card in %s\nstdout:\n%s\nstderr:\n%s", code, dir, stdout, stderr)
	}
	passed := latest()
	pass := reports.LatestPass(dir)
	if pass == "" || !strings.HasSuffix(pass, "-pass") {
		t.Fatalf("no pass in %s/history after a pass: %q", dir, pass)
	}

	// Bad input writes no card: a typo in the directory, a bad flag value.
	for _, args := range [][]string{{"./soluton", "--challenge", "orders-users"}, {"./solution", "--seed", "-4"}} {
		if code, _, stderr := grade(args...); code != exitUsage {
			t.Errorf("grade %v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	if c := latest(); !c.GradedAt.Equal(passed.GradedAt) || c.Verdict != reports.Pass {
		t.Errorf("bad input replaced the card: now %s of %s", c.Verdict, c.GradedAt)
	}
	if _, err := os.Stat(filepath.Join("nplus1-results", "orders-users", "soluton")); !os.IsNotExist(err) {
		t.Errorf("a card directory was made for a directory that does not exist: %v", err)
	}
	// With --out naming the directory of a real card, bad input keeps it too.
	code, _, stderr = grade("./soluton", "--challenge", "orders-users", "--out", dir)
	if c := latest(); code != exitUsage || !c.GradedAt.Equal(passed.GradedAt) || !strings.Contains(stderr, "which is kept") {
		t.Errorf("--out %s with bad input: exit %d, card %s of %s; stderr:\n%s", dir, code, c.Verdict, c.GradedAt, stderr)
	}

	// Another solution gets its own directory.
	copyDir(t, filepath.Join(repo, "challenges/orders-users/starter/python"), "other")
	if code, stdout, _ := grade("other"); code != exitFail || !strings.Contains(stdout, filepath.Join("nplus1-results", "orders-users", "other", "result.md")) {
		t.Errorf("grade other: exit %d, want 1 and its own card directory:\n%s", code, stdout)
	}
	if c := latest(); !c.GradedAt.Equal(passed.GradedAt) {
		t.Errorf("another solution's grade replaced this one's card")
	}

	// The same solution, broken: the fail is the latest, the pass is kept
	// and named.
	copyDir(t, filepath.Join(repo, "challenges/orders-users/starter/python"), "solution")
	code, stdout, stderr = grade("./solution")
	if code != exitFail {
		t.Fatalf("grade of the broken solution: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if c := latest(); c.Verdict != reports.Fail {
		t.Errorf("the latest card is %s, want the fail", c.Verdict)
	}
	if want := "an earlier pass is kept: " + filepath.Join(pass, "result.md"); !strings.Contains(stdout, want) {
		t.Errorf("the terminal does not say %q:\n%s", want, stdout)
	}
	if kept, err := reports.ReadCard(filepath.Join(pass, "result.json")); err != nil || kept.Verdict != reports.Pass || !kept.GradedAt.Equal(passed.GradedAt) {
		t.Errorf("the kept pass: %v %+v", err, kept)
	}
	if h, _ := os.ReadDir(filepath.Join(dir, reports.HistoryDir)); len(h) != 2 {
		t.Errorf("history holds %d cards, want 2 (the pass and the fail)", len(h))
	}

	// export finds the pass; export --each lists each solution once, by
	// its latest card.
	var p reports.Portfolio
	code, stdout, stderr = run(t, "export", "--format", "json", "-o", "-")
	if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil {
		t.Fatalf("export: exit %d, %v\n%s", code, err, stderr)
	}
	if p.Passed != 1 || len(p.Entries) != 1 || p.Entries[0].Verdict != reports.Pass {
		t.Errorf("export shows %+v, want the pass of orders-users", p)
	}
	code, stdout, stderr = run(t, "export", "--each", "--format", "json", "-o", "-")
	if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil {
		t.Fatalf("export --each: exit %d, %v\n%s", code, err, stderr)
	}
	if p.Solutions != 2 || p.Passed != 0 {
		t.Errorf("export --each: %d solutions, %d passed; want 2 (solution and other, by their latest cards), none passed", p.Solutions, p.Passed)
	}
}

// A history keeps its most recent cards and, however old, its most recent
// pass.
func TestHistoryKeepsTheLastPass(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)
	c := &reports.Card{SchemaVersion: reports.SchemaVersion, Verdict: reports.Pass, GradedAt: at,
		Challenge: reports.Challenge{ID: "orders-users"}, Environment: reports.Environment{Provider: "local"}}
	os.WriteFile(filepath.Join(dir, reports.TimelineFile), []byte("<svg/>"), 0o644) // an earlier grade's
	first, err := c.Keep(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Verdict = reports.Fail
	for i := 1; i <= reports.HistoryKeep+5; i++ {
		c.GradedAt = at.Add(time.Duration(i) * time.Minute)
		if _, err := c.Keep(dir); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, reports.TimelineFile)); !os.IsNotExist(err) {
		t.Errorf("a card without a timeline left one beside it: %v", err)
	}
	h, _ := os.ReadDir(filepath.Join(dir, reports.HistoryDir))
	if len(h) != reports.HistoryKeep+1 {
		t.Errorf("history holds %d cards, want %d and the pass", len(h), reports.HistoryKeep)
	}
	if got := reports.LatestPass(dir); got != first {
		t.Errorf("LatestPass = %q, want the first card's %q", got, first)
	}
}

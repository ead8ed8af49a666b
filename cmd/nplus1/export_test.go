package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
)

// runWith runs the CLI like Run, with export, keygen and verify added to
// the root when it does not have them yet, and maps errors to exit codes
// as Run does.
func runWith(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Now: time.Now,
		Getenv: func(k string) string { return env[k] }}
	root := NewCmdRoot(f)
	for name, c := range map[string]*cobra.Command{"export": NewCmdExport(f, nil), "keygen": NewCmdKeygen(f, nil), "verify": NewCmdVerify(f, nil)} {
		if found, _, err := root.Find([]string{name}); err != nil || found == root {
			root.AddCommand(c)
		}
	}
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	code = exitPass
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err != nil {
				errOut.WriteString("nplus1: " + ee.err.Error() + "\n")
			}
		} else {
			code = exitUsage
			errOut.WriteString("nplus1: " + err.Error() + "\n")
		}
	}
	return code, out.String(), errOut.String()
}

// card writes a card with the given challenge, verdict and time into dir.
func writeCard(t *testing.T, dir, id, title, verdict string, at time.Time, statements int) {
	t.Helper()
	c := &reports.Card{
		SchemaVersion: reports.SchemaVersion, Tool: reports.Tool{Name: "nplus1", Version: "test"}, GradedAt: at,
		Challenge:   reports.Challenge{ID: id, Title: title, Digest: "sha256:aa", MaxStatements: 2, P95BudgetMS: 100},
		Solution:    reports.Solution{Path: "./s", Language: "go", Digest: "sha256:bb"},
		Environment: reports.Environment{Provider: "local", RTTMS: 5, Seed: 42, Size: 100},
		Verdict:     verdict,
		Checks:      []reports.Check{{Name: "statements", Status: verdict, Value: reports.Float(float64(statements)), Limit: reports.Float(2), Message: "m"}},
		Metrics:     &reports.Metrics{Statements: statements, RoundTrips: statements, Latency: reports.LatencyMS{P50: 6, P95: float64(statements) * 6}},
		Shapes:      []reports.Shape{{Data: true, Count: 1, Example: "SELECT * FROM a JOIN b ON b.id = a.b_id", Normalized: "select * from a join b on b.id = a.b_id"}},
	}
	reports.Annotate(c)
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	writeCard(t, filepath.Join(res, "1"), "orders-users", "Orders and their users", reports.Fail, now.Add(-time.Hour), 101)
	writeCard(t, filepath.Join(res, "2"), "orders-users", "Orders and their users", reports.Pass, now, 1)
	writeCard(t, filepath.Join(res, "3"), "posts-tags", "Posts and their tags", reports.Pass, now, 2)

	for _, ext := range []string{"html", "md", "json"} {
		out := filepath.Join(dir, "out", "portfolio."+ext)
		code, stdout, stderr := runWith(t, nil, "export", res, "-o", out, "--name", "Ada Lovelace", "--link", "https://example.com/ada")
		if code != 0 || !strings.Contains(stdout, "2 challenges (2 passed) from 3 cards") {
			t.Fatalf("export -o %s: exit %d\n%s%s", out, code, stdout, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Orders and their users", "Posts and their tags", "Ada Lovelace", "https://example.com/ada"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q", ext, want)
			}
		}
	}
	code, stdout, _ := runWith(t, nil, "export", filepath.Join(res, "1", "result.json"), "--format", "json", "-o", "-")
	var p reports.Portfolio
	if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil || p.Challenges != 1 || p.Entries[0].Verdict != reports.Fail {
		t.Errorf("export to stdout: exit %d, %v\n%s", code, err, stdout)
	}
}

// --each: the cards of a batch, merged from two shards' result
// directories, as one table with a row per solution, including the card of
// a solution that could not be set up (it names no challenge).
func TestExportEach(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	writeCard(t, filepath.Join(dir, "shard-1", "alice"), "orders-users", "Orders and their users", reports.Pass, now, 1)
	writeCard(t, filepath.Join(dir, "shard-1", "bob"), "orders-users", "Orders and their users", reports.Fail, now, 101)
	writeCard(t, filepath.Join(dir, "shard-2", "carol"), "orders-users", "Orders and their users", reports.Pass, now, 2)
	for name, path := range map[string]string{"alice": "shard-1/alice", "bob": "shard-1/bob", "carol": "shard-2/carol"} {
		c, err := reports.ReadCard(filepath.Join(dir, path, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		c.Solution.Path = "submissions/" + name
		if err := c.Write(filepath.Join(dir, path)); err != nil {
			t.Fatal(err)
		}
	}
	if code, stdout, stderr := run(t, "grade", "submissions/dave", "--out", filepath.Join(dir, "shard-2", "dave")); code != exitUsage {
		t.Fatalf("grade of a missing directory: exit %d\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "class.md")
	code, stdout, stderr := runWith(t, nil, "export", filepath.Join(dir, "shard-1"), filepath.Join(dir, "shard-2"), "--each", "-o", out)
	if code != 0 || !strings.Contains(stdout, "4 solutions (2 passed)") {
		t.Fatalf("export --each: exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"2 of 4 solutions passed.", "| solution | challenge |", "| submissions/alice | Orders and their users | go | ✅", "| submissions/bob |", "| submissions/carol |", "| submissions/dave | (unknown challenge) |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("class.md lacks %q:\n%s", want, b)
		}
	}
	// Without --each, the portfolio has one entry per challenge; the card
	// that names none is left out, and the export says so.
	code, stdout, stderr = runWith(t, nil, "export", dir, "-o", filepath.Join(dir, "p.md"))
	if code != 0 || !strings.Contains(stdout, "1 challenge (1 passed) from 4 cards") || !strings.Contains(stdout, "left out 1 card naming no challenge") {
		t.Errorf("export: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestExportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"export", dir, "-o", "portfolio.txt"}, "cannot tell the format"},
		{[]string{"export", dir, "-o", "x.html", "--format", "pdf"}, `--format "pdf"`},
		{[]string{"export", dir, "-o", filepath.Join(dir, "x.html")}, "no result.json"},
		{[]string{"export", filepath.Join(dir, "missing"), "-o", filepath.Join(dir, "x.html")}, "no such file"},
	}
	for _, tt := range tests {
		code, _, stderr := runWith(t, nil, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("nplus1 %s: exit %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
	// With no argument where nothing was graded, it says where cards are.
	t.Chdir(dir)
	code, _, stderr := runWith(t, nil, "export")
	if want := "no cards to export: there is no nplus1-results here, where nplus1 grade writes them"; code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("nplus1 export with nothing graded: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

func TestNewCommandsHaveExamples(t *testing.T) {
	for _, name := range []string{"export", "keygen", "verify"} {
		code, out, _ := runWith(t, nil, name, "--help")
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("nplus1 %s --help: exit %d, want an Examples section:\n%s", name, code, out)
		}
	}
}

// A signed card's entry says who signed it only while its content is as
// signed: verified with --key, unverified without, and marked when edited.
func TestExportChecksSignatures(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	card := filepath.Join(dir, "signed")
	writeCard(t, card, "orders-users", "Orders and their users", reports.Pass, now, 1)
	pub, priv, err := reports.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := reports.ReadCard(filepath.Join(card, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reports.Sign(c, priv); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(card); err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "k.pub")
	if err := os.WriteFile(pubFile, []byte(reports.EncodePublicKey(pub)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := reports.GenerateKey(nil)
	entry := func(args ...string) reports.PortfolioEntry {
		t.Helper()
		code, stdout, stderr := runWith(t, nil, append([]string{"export", card, "--format", "json", "-o", "-"}, args...)...)
		var p reports.Portfolio
		if err := json.Unmarshal([]byte(stdout), &p); code != 0 || err != nil || len(p.Entries) != 1 {
			t.Fatalf("export %v: exit %d, %v\n%s%s", args, code, err, stdout, stderr)
		}
		return p.Entries[0]
	}
	// The Markdown table, which goes to a step summary, says as much.
	markdown := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runWith(t, nil, append([]string{"export", card, "--format", "md", "-o", "-"}, args...)...)
		if code != 0 {
			t.Fatalf("export md %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		return stdout
	}
	id := reports.KeyID(pub)
	if md, want := markdown("--key", pubFile), "✅ PASS; signed by key "+id+", verified"; !strings.Contains(md, want) {
		t.Errorf("markdown with the key lacks %q:\n%s", want, md)
	}
	if e := entry("--key", pubFile); e.SignedBy != id || e.Signature != "verified" {
		t.Errorf("with the key: signed by %q, %q; want %s, verified", e.SignedBy, e.Signature, id)
	}
	if e := entry(); e.SignedBy != id || e.Signature != "unverified" {
		t.Errorf("without a key: signed by %q, %q; want %s, unverified", e.SignedBy, e.Signature, id)
	}
	if e := entry("--key", reports.EncodePublicKey(otherPub)); e.SignedBy != "" || !strings.Contains(e.Signature, "not by the key given") {
		t.Errorf("another key: signed by %q, %q", e.SignedBy, e.Signature)
	}
	// Edit a figure, as someone polishing their portfolio might.
	path := filepath.Join(card, "result.json")
	b, _ := os.ReadFile(path)
	edited := strings.Replace(string(b), `"seed": 42`, `"seed": 43`, 1)
	if edited == string(b) {
		t.Fatal("the card has no seed 42 to edit")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"--key", pubFile}} {
		if e := entry(args...); e.SignedBy != "" || !strings.Contains(e.Signature, "edited after signing") {
			t.Errorf("edited card, %v: signed by %q, %q; want no signer and the edit named", args, e.SignedBy, e.Signature)
		}
		if md := markdown(args...); !regexp.MustCompile(`✅ PASS; signature does not hold: [^|]*edited after signing`).MatchString(md) {
			t.Errorf("edited card, %v: the markdown does not say so:\n%s", args, md)
		}
	}
}

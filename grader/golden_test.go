package grader_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nplus1/nplus1/reports"
)

var update = flag.Bool("update", false, "rewrite the golden cards under testdata/golden")

// goldenCard compares card, masked (see maskCard), with
// testdata/golden/name.json, or rewrites that file with -update.
func goldenCard(t *testing.T, name string, card *reports.Card) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(maskCard(t, card)); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./grader -run %s -update to write it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("the card differs from %s (-want +got):\n%s", path, diff)
	}
}

// goldenName names a golden file after a test: its subtest path, slashes
// and other separators made dashes.
func goldenName(t *testing.T) string {
	return regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "-")
}

// What varies from run to run in a card's text.
var (
	maskDuration  = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b|\b\d+(\.\d+)? ms\b|\b\d+m\d+(\.\d+)?s\b`)
	maskPort      = regexp.MustCompile(`\b(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	maskTime      = regexp.MustCompile(`\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?`)
	maskHex       = regexp.MustCompile(`\b0x[0-9a-f]+\b`)
	maskGoroutine = regexp.MustCompile(`goroutine \d+`)
	maskPID       = regexp.MustCompile(`(\bpid|\bPID|\bprocess|\bport|/proc/)( ?)\d+`)
	maskAnswered  = regexp.MustCompile(`all \d+ responses match`)
	maskMemory    = regexp.MustCompile(`\d+(\.\d+)?MiB of memory`)
	maskReadOnly  = regexp.MustCompile(`no write attempted in \d+ statements?`)
	maskTemp      = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/[^\s"':;,)]*`)
)

// maskText masks what varies from run to run in a message or an output:
// durations, ports, timestamps, addresses, process ids, temp paths, and
// the grader directory's absolute path.
func maskText(s string) string {
	if wd, err := os.Getwd(); err == nil {
		s = strings.ReplaceAll(s, wd, "<grader>")
		s = strings.ReplaceAll(s, filepath.Dir(wd), "<repo>")
	}
	s = maskTemp.ReplaceAllString(s, "<tmp>")
	s = maskTime.ReplaceAllString(s, "<time>")
	s = maskPort.ReplaceAllString(s, "<addr>")
	s = maskHex.ReplaceAllString(s, "<hex>")
	s = maskGoroutine.ReplaceAllString(s, "goroutine <n>")
	s = maskPID.ReplaceAllString(s, "$1$2<n>")
	s = maskMemory.ReplaceAllString(s, "<n>MiB of memory")
	// Timed requests stop early when a slow p95 is sure to fail.
	s = maskAnswered.ReplaceAllString(s, "all <n> responses match")
	// Drivers' pings of idle connections (empty statements) come and go.
	s = maskReadOnly.ReplaceAllString(s, "no write attempted in <n> statements")
	return maskDuration.ReplaceAllString(s, "<duration>")
}

// maskTimings zeroes a metrics' timings: its latencies, and its
// timeline's times, of which it returns what stays (how many spans, how
// many of data) as the timeline is left without spans. With latency
// judged by timing, whether the timed requests stopped early (Requests,
// Timed) follows the machine's load too.
func maskTimings(m *reports.Metrics, latencyJudged bool) string {
	m.Latency = reports.LatencyMS{}
	if latencyJudged {
		m.Requests, m.Timed = 0, 0
	}
	tl := m.Timeline
	if tl == nil {
		return ""
	}
	data := 0
	for _, s := range tl.Statements {
		if s.Data {
			data++
		}
	}
	summary := fmt.Sprintf("%d spans (%d of data), %d omitted", len(tl.Statements), data, tl.Omitted)
	m.Timeline = nil
	return summary
}

// golden is what a golden file holds: the masked card and its timelines'
// summaries (see maskTimings).
type golden struct {
	Card      *reports.Card     `json:"card"`
	Timelines map[string]string `json:"timelines,omitempty"`
}

// maskCard is a copy of card with what varies from run to run masked: the
// time, durations and latencies, versions, the machine, paths, ports, the
// solution's own output. The
// latency check's pass or fail follows the machine's load, so its status
// is masked, and the verdict is the one the card would have with latency
// passing: a fail for latency alone is masked as a pass.
func maskCard(t *testing.T, card *reports.Card) golden {
	t.Helper()
	b, err := json.Marshal(card)
	if err != nil {
		t.Fatal(err)
	}
	var c reports.Card
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c.GradedAt = time.Time{}
	c.Tool.Version = "<version>"
	if c.Environment.PostgresVersion != "" {
		c.Environment.PostgresVersion = "<version>"
	}
	if before, _, ok := strings.Cut(c.Environment.Sandbox, "; limits by "); ok {
		c.Environment.Sandbox = before + "; limits by <limits>"
	}
	c.Environment.OS, c.Environment.Arch = "<os>", "<arch>"
	c.Solution.Path = maskText(c.Solution.Path)
	for i := range c.Reproduce {
		c.Reproduce[i] = maskText(c.Reproduce[i])
	}
	for i := range c.Phases {
		c.Phases[i].Seconds = 0
	}
	latencyJudged := false
	failed := false
	for i := range c.Checks {
		ch := &c.Checks[i]
		if ch.Name == "latency" {
			if ch.Status == reports.Pass || ch.Status == reports.Fail {
				ch.Status = "<pass or fail>"
				latencyJudged = true
			}
			ch.Value = nil
			ch.Message = "<timing>"
			continue
		}
		failed = failed || ch.Status == reports.Fail
		ch.Message = maskText(ch.Message)
	}
	if c.Verdict == reports.Fail && !failed && latencyJudged {
		c.Verdict = reports.Pass
	}
	timelines := map[string]string{}
	if c.Metrics != nil {
		timelines["metrics"] = maskTimings(c.Metrics, latencyJudged)
	}
	if c.Baseline != nil {
		timelines["baseline"] = maskTimings(&c.Baseline.Metrics, false)
	}
	c.Error = maskText(c.Error)
	if c.Output != "" { // the solution's own log: its times, ports and interleaving vary
		c.Output = "<output>"
	}
	c.Signature = nil
	return golden{Card: &c, Timelines: timelines}
}

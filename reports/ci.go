package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// checksForCI returns the card's checks, or, for a card that has none (the
// grade failed before any check ran), one "grade" check carrying the
// verdict and the error, so every CI format shows something.
func checksForCI(c *Card) []Check {
	if len(c.Checks) > 0 {
		return c.Checks
	}
	st := c.Verdict
	if st == "" || st == Pass {
		st = Error
	}
	msg := c.Error
	if msg == "" {
		msg = "no check ran"
	}
	return []Check{{Name: "grade", Status: st, Message: msg}}
}

// detail is the longer text of a check for CI outputs: its message, its
// figures, the N+1 findings for the statements check, the solution's output
// for build and start, and how to reproduce the grade.
func detail(c *Card, ch Check) string {
	var b strings.Builder
	b.WriteString(ch.Message)
	if ch.Value != nil && ch.Limit != nil {
		unit := ""
		if ch.Unit != "" && ch.Unit != "ms" {
			unit = " " + ch.Unit
			if *ch.Value == 1 {
				unit = " " + strings.TrimSuffix(ch.Unit, "s")
			}
		}
		fmt.Fprintf(&b, "\nmeasured: %s%s (limit %s)", num(ch.Value, ch.Unit), unit, num(ch.Limit, ch.Unit))
	}
	if ch.Name == "statements" {
		for _, f := range c.Findings {
			fmt.Fprintf(&b, "\n%s: %s", f.Kind, f.Message)
		}
	}
	if (ch.Name == "build" || ch.Name == "start") && c.Output != "" {
		fmt.Fprintf(&b, "\nsolution output:\n%s", strings.TrimRight(c.Output, "\n"))
	}
	if ch.Status != Pass {
		fmt.Fprintf(&b, "\nreproduce: %s", Reproduce(c))
	}
	return b.String()
}

// JUnit XML, in the layout GitHub, GitLab and Jenkins read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

func text(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: xmlSafe(s)}
}

// xmlSafe replaces the characters XML 1.0 cannot hold (most control
// characters, such as the escape of a colour code in a solution's output)
// with U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// JUnit renders the card as JUnit XML: one test suite named after the
// challenge, one test case per check; a failed check is a <failure>, a
// check the grader could not make an <error>, a skipped one <skipped>,
// each with the check's message and details. A card without checks gets
// one "grade" test case.
func JUnit(c *Card) ([]byte, error) {
	s := junitSuite{Name: "nplus1." + c.Challenge.ID}
	if !c.GradedAt.IsZero() {
		s.Timestamp = c.GradedAt.UTC().Format(time.RFC3339)
	}
	e := c.Environment
	for _, p := range [][2]string{
		{"solution", c.Solution.Path}, {"solution_digest", c.Solution.Digest},
		{"challenge_digest", c.Challenge.Digest}, {"tool_version", c.Tool.Version},
		{"seed", fmt.Sprint(e.Seed)}, {"rtt_ms", fmt.Sprint(e.RTTMS)}, {"postgres", e.PostgresVersion},
		{"verdict", c.Verdict},
	} {
		if p[1] != "" {
			s.Properties = append(s.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	for _, ch := range checksForCI(c) {
		tc := junitCase{Name: ch.Name, Classname: "nplus1." + c.Challenge.ID}
		msg := &junitMessage{Message: ch.Message, Type: ch.Name, Text: xmlSafe(detail(c, ch))}
		switch ch.Status {
		case Pass:
			tc.SystemOut = text(detail(c, ch))
		case Fail:
			tc.Failure = msg
			s.Failures++
		case Skipped:
			tc.Skipped = &junitMessage{Message: ch.Message, Text: xmlSafe(ch.Message)}
			s.Skipped++
		default:
			tc.Error = msg
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	line := c.PortfolioLine
	if line == "" {
		line = PortfolioLine(c)
	}
	s.SystemOut = text(line)
	all := junitSuites{Name: "nplus1", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Suites: []junitSuite{s}}
	out, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// shares splits max points over n checks in hundredths so that the shares
// add up to max exactly: 10 over 3 is 3.33, 3.33, 3.34.
func shares(max float64, n int) []float64 {
	out := make([]float64, n)
	total := math.Round(max * 100)
	prev := 0.0
	for i := range out {
		next := math.Round(total * float64(i+1) / float64(n))
		out[i] = (next - prev) / 100
		prev = next
	}
	return out
}

// GradescopeOptions tune the Gradescope results.
type GradescopeOptions struct {
	// MaxScore is the points of the whole grade, split evenly over the
	// checks (default 100 when zero).
	MaxScore float64
	// Visibility of the tests: "visible" (default), "hidden",
	// "after_due_date" or "after_published".
	Visibility string
}

type gradescopeResults struct {
	Score        float64          `json:"score"`
	MaxScore     float64          `json:"max_score"`
	Output       string           `json:"output"`
	OutputFormat string           `json:"output_format"`
	Visibility   string           `json:"visibility"`
	Tests        []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	Score        float64 `json:"score"`
	MaxScore     float64 `json:"max_score"`
	Output       string  `json:"output"`
	OutputFormat string  `json:"output_format"`
	Visibility   string  `json:"visibility"`
}

// Gradescope renders the card as Gradescope's autograder results.json: one
// test per check, each worth an even share of MaxScore, "passed" with its
// points or "failed" with none; the top-level output is the Markdown card.
// A card whose grade could not be made scores 0 and says so in its output,
// so that the instructor reruns it rather than the learner fixing nothing.
func Gradescope(c *Card, o GradescopeOptions) ([]byte, error) {
	if o.MaxScore == 0 {
		o.MaxScore = 100
	}
	if o.Visibility == "" {
		o.Visibility = "visible"
	}
	checks := checksForCI(c)
	r := gradescopeResults{MaxScore: o.MaxScore, Output: Markdown(c), OutputFormat: "md", Visibility: o.Visibility}
	for i, share := range shares(o.MaxScore, len(checks)) {
		ch := checks[i]
		t := gradescopeTest{Name: ch.Name, Status: "failed", MaxScore: share, Output: detail(c, ch), OutputFormat: "text", Visibility: o.Visibility}
		if ch.Status == Pass && c.Verdict != Error {
			t.Status, t.Score = "passed", share
		}
		r.Score += t.Score
		r.Tests = append(r.Tests, t)
	}
	r.Score = math.Round(r.Score*100) / 100
	out, err := marshalIndent(r)
	if err != nil {
		return nil, fmt.Errorf("gradescope results: %w", err)
	}
	return out, nil
}

// ClassroomResult is the result a GitHub Classroom autograding runner
// hands to education/autograding-grading-reporter: the JSON that runner
// encodes in base64 into its `result` output (version 1).
type ClassroomResult struct {
	Version  int             `json:"version"`
	Status   string          `json:"status"` // pass, fail or error
	MaxScore float64         `json:"max_score"`
	Tests    []ClassroomTest `json:"tests"`
}

// ClassroomTest is one test of a ClassroomResult.
type ClassroomTest struct {
	Name     string  `json:"name"`
	Status   string  `json:"status"` // pass, fail or error
	Score    float64 `json:"score"`
	Message  string  `json:"message"`
	TestCode string  `json:"test_code"`
	Filename string  `json:"filename"`
	LineNo   int     `json:"line_no"`
	Duration int     `json:"duration"`
}

// Classroom returns the card as a GitHub Classroom autograding result: the
// base64 of the ClassroomResult JSON, to be set as the step output
// `result` (see AppendGitHubOutput) and passed to the reporter as
// <STEP-ID>_RESULTS. Each check is a test worth an even share of maxScore
// (default 100 when zero).
func Classroom(c *Card, maxScore float64) (string, error) {
	if maxScore == 0 {
		maxScore = 100
	}
	st := c.Verdict
	if st != Pass && st != Fail {
		st = Error
	}
	r := ClassroomResult{Version: 1, Status: st, MaxScore: maxScore}
	checks := checksForCI(c)
	for i, share := range shares(maxScore, len(checks)) {
		ch := checks[i]
		t := ClassroomTest{Name: ch.Name, Status: Fail, Message: detail(c, ch), TestCode: "nplus1 grade " + c.Solution.Path}
		switch {
		case ch.Status == Pass && st != Error:
			t.Status, t.Score = Pass, share
		case ch.Status == Error:
			t.Status = Error
		}
		r.Tests = append(r.Tests, t)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return "", fmt.Errorf("classroom result: %w", err)
	}
	return base64.StdEncoding.EncodeToString(bytes.TrimSuffix(js.Bytes(), []byte("\n"))), nil
}

// marshalIndent encodes v as indented JSON with a final newline, leaving
// <, > and & as they are (these files are read by people and CI, not
// embedded in HTML).
func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AppendStepSummary appends the Markdown card to the file at path, which is
// what GitHub Actions names in $GITHUB_STEP_SUMMARY.
func AppendStepSummary(path string, c *Card) error {
	return appendFile(path, []byte(Markdown(c)+"\n"), "step summary")
}

// AppendGitHubOutput appends name=value to the file at path, which is what
// GitHub Actions names in $GITHUB_OUTPUT. A value with a newline is written
// with a heredoc delimiter that does not occur in it.
func AppendGitHubOutput(path, name, value string) error {
	var b bytes.Buffer
	if !strings.Contains(value, "\n") {
		fmt.Fprintf(&b, "%s=%s\n", name, value)
	} else {
		delim := "NPLUS1_EOF"
		for strings.Contains(value, delim) {
			delim += "_"
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
	}
	return appendFile(path, b.Bytes(), "github output")
}

func appendFile(path string, b []byte, what string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append %s: %w", what, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("append %s: %w", what, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append %s: %w", what, err)
	}
	return nil
}

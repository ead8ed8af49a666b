package reports

import (
	"strings"
	"testing"
)

func TestTimelineSVG(t *testing.T) {
	before := &Timeline{TotalMS: 600}
	for i := 0; i < 101; i++ {
		before.Statements = append(before.Statements, Span{StartMS: float64(i) * 5.9, DurationMS: 0.2, Data: true})
	}
	after := &Timeline{TotalMS: 7, Statements: []Span{{StartMS: 5, DurationMS: 0.5, Data: true}, {StartMS: 0.1, DurationMS: 0.1}}}
	svg := TimelineSVG(before, after)
	for _, want := range []string{
		"<title>before: 101 statements in 600 ms; after: 1 statement in 7 ms, one request's statements on a time axis</title>",
		">before<", ">after<", "101 statements, 600 ms", "1 statement, 7 ms", `fill="#2da44e"`, `fill="#8c959f"`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("the picture lacks %q:\n%s", want, svg)
		}
	}
	// A bar per statement, plus a background per lane.
	if n := strings.Count(svg, "<rect"); n != 101+2+2 {
		t.Errorf("%d rects, want 105", n)
	}
	if TimelineSVG(nil, nil) != "" {
		t.Error("a picture of nothing")
	}
}

// A wrong answer's figures are not drawn as a fix.
func TestNoTimelineForAWrongAnswer(t *testing.T) {
	tl := &Timeline{TotalMS: 1, Statements: []Span{{Data: true}}}
	c := &Card{Metrics: &Metrics{Timeline: tl}, Baseline: &Baseline{Metrics: Metrics{Timeline: tl}}}
	if !HasTimeline(c) {
		t.Fatal("no timeline for a card with both")
	}
	c.Checks = []Check{{Name: "correct", Status: Fail}}
	if HasTimeline(c) || CardTimelineSVG(c) != "" || strings.Contains(Markdown(c), TimelineFile) {
		t.Error("a wrong answer's card shows the before → after picture")
	}
}

// The ORM calls found in the code stand beside the SQL technique.
func TestIdiomsBesideTheTechnique(t *testing.T) {
	c := passCard()
	c.Solution.Idioms = []string{"select_related"}
	Annotate(c)
	if want := "with a single JOIN (select_related), reducing 101 queries to 1"; !strings.Contains(c.PortfolioLine, want) {
		t.Errorf("portfolio line %q lacks %q", c.PortfolioLine, want)
	}
	if md := Markdown(c); !strings.Contains(md, "ORM calls in its code: select_related.") {
		t.Errorf("result.md does not name the ORM call:\n%s", md)
	}
	if e := NewPortfolio([]*Card{c}, PortfolioOptions{}).Entries[0]; e.Technique != "JOIN (select_related)" {
		t.Errorf("portfolio technique %q", e.Technique)
	}
}

// A solution's directory name cannot write Markdown of its own into the
// card, nor lines of its own into a terminal.
func TestSolutionPathCannotInject(t *testing.T) {
	c := failCard()
	c.Solution.Path = "x`.\n\n## FORGED\n\n| INJECTED | pass |\n\n<!--"
	md := Markdown(c)
	// Inside a code span it is text; what must not happen is a line of its own.
	if strings.Contains(md, "\n| INJECTED") || strings.Contains(md, "\n## FORGED") || strings.Contains(md, "\n<!--") {
		t.Errorf("the path wrote into result.md:\n%s", md)
	}
	var b strings.Builder
	Summary(&b, c)
	if first, _, _ := strings.Cut(b.String(), "\n"); strings.Contains(b.String(), "\n| INJECTED") || !strings.Contains(first, "x`.??## FORGED") {
		t.Errorf("the path wrote lines into the summary:\n%s", b.String())
	}
}

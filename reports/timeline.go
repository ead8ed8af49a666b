package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Timeline is when one request's statements ran, measured at the proxy,
// in milliseconds from the moment the grader sent the request.
type Timeline struct {
	// TotalMS is the whole request, until its answer was read.
	TotalMS float64 `json:"total_ms"`
	// Statements are the request's statements in the order they ran, at
	// most MaxSpans of them; Omitted says how many more data statements
	// there were.
	Statements []Span `json:"statements"`
	Omitted    int    `json:"omitted,omitempty"`
}

// Span is one statement on a Timeline.
type Span struct {
	StartMS    float64 `json:"start_ms"`
	DurationMS float64 `json:"duration_ms"`
	// Data is false for control statements (BEGIN, SET, ...).
	Data bool `json:"data"`
}

// MaxSpans is the most statements a Timeline holds.
const MaxSpans = 2000

// TimelineFile is the picture Card.Write puts beside result.md.
const TimelineFile = "timeline.svg"

// TimelineSVG draws a request's statements on a time axis: the starter's
// (before) above the solution's (after), on one scale, so that a staircase
// of round trips and its one or two bars read at a glance. Either may be
// nil; with both nil it returns "".
func TimelineSVG(before, after *Timeline) string {
	type lane struct {
		label string
		t     *Timeline
		color string
	}
	var lanes []lane
	if before != nil {
		lanes = append(lanes, lane{"before", before, "#d73a49"})
	}
	if after != nil {
		lanes = append(lanes, lane{"after", after, "#2da44e"})
	}
	if len(lanes) == 0 {
		return ""
	}
	total := 0.0
	for _, l := range lanes {
		total = math.Max(total, l.t.TotalMS)
	}
	total = math.Max(total, 1)
	const (
		width, left, right = 640.0, 70.0, 10.0
		laneHeight, barH   = 44.0, 22.0
		top                = 8.0
	)
	plot := width - left - right
	x := func(ms float64) float64 { return left + ms/total*plot }
	height := top + float64(len(lanes))*laneHeight + 28
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="12">`, width, height, width, height)
	var title []string
	for _, l := range lanes {
		title = append(title, fmt.Sprintf("%s: %s in %s", l.label, Count(dataSpans(l.t), "statement"), msText(l.t.TotalMS)))
	}
	fmt.Fprintf(&b, `<title>%s, one request's statements on a time axis</title>`, html.EscapeString(strings.Join(title, "; ")))
	for i, l := range lanes {
		y := top + float64(i)*laneHeight
		fmt.Fprintf(&b, `<text x="0" y="%.1f" fill="#24292f">%s</text>`, y+barH/2+4, l.label)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f6f8fa"/>`, left, y, x(l.t.TotalMS)-left, barH)
		for _, s := range l.t.Statements {
			w := math.Max(x(s.StartMS+s.DurationMS)-x(s.StartMS), 1.5)
			color := l.color
			if !s.Data {
				color = "#8c959f"
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x(s.StartMS), y+2, w, barH-4, color)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#57606a">%s, %s</text>`, left, y+barH+14,
			Count(dataSpans(l.t), "statement"), msText(l.t.TotalMS))
	}
	axis := top + float64(len(lanes))*laneHeight + 4
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#8c959f"/>`, left, axis, width-right, axis)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#57606a">0</text>`, left, axis+16)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#57606a" text-anchor="end">%s</text>`, width-right, axis+16, msText(total))
	b.WriteString("</svg>\n")
	return b.String()
}

// HasTimeline reports whether the card can show its before → after
// picture: a passing or failing solution with its timeline and the
// starter's. A wrong answer's figures are not drawn as a fix.
func HasTimeline(c *Card) bool {
	return c.Metrics != nil && c.Metrics.Timeline != nil && c.Baseline != nil && c.Baseline.Metrics.Timeline != nil && !answersWrong(c)
}

// CardTimelineSVG is the card's before → after picture (see TimelineSVG).
func CardTimelineSVG(c *Card) string {
	if !HasTimeline(c) {
		return ""
	}
	return TimelineSVG(c.Baseline.Metrics.Timeline, c.Metrics.Timeline)
}

// answersWrong reports whether the card's correct check failed.
func answersWrong(c *Card) bool {
	ch := c.Check("correct")
	return ch != nil && ch.Status == Fail
}

// dataSpans counts a timeline's data statements, the omitted included.
func dataSpans(t *Timeline) int {
	n := t.Omitted
	for _, s := range t.Statements {
		if s.Data {
			n++
		}
	}
	return n
}

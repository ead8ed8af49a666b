package reports

import (
	"fmt"
	"io"
	"strings"
)

// Markdown renders the card as a readable Markdown page.
func Markdown(c *Card) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", c.Challenge.Title, strings.ToUpper(c.Verdict))
	fmt.Fprintf(&b, "`%s` graded by %s %s on %s.\n\n", c.Solution.Path, c.Tool.Name, c.Tool.Version, c.GradedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if c.Error != "" {
		fmt.Fprintf(&b, "**The grade could not be made:** %s\n\n", c.Error)
	}
	if m := c.Metrics; m != nil {
		fmt.Fprintf(&b, "| data statements per request | round trips per request | p50 | p95 |\n|---:|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| %d (limit %d) | %d | %s | %s (budget %s) |\n\n", m.Statements, c.Challenge.MaxStatements, m.RoundTrips,
			ms(m.Latency.P50), ms(m.Latency.P95), ms(c.Challenge.P95BudgetMS))
	}
	b.WriteString("## Checks\n\n| check | status | value | limit | message |\n|---|---|---:|---:|---|\n")
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", ch.Name, ch.Status, num(ch.Value, ch.Unit), num(ch.Limit, ch.Unit), cell(ch.Message))
	}
	if len(c.Findings) > 0 {
		b.WriteString("\n## Findings\n\n")
		for _, f := range c.Findings {
			fmt.Fprintf(&b, "- **%s**: %s\n", f.Kind, f.Message)
		}
	}
	if len(c.Shapes) > 0 {
		b.WriteString("\n## Statements of the busiest request, by shape\n\n| count | rows | statement |\n|---:|---:|---|\n")
		for _, s := range c.Shapes {
			flag := ""
			if s.NPlusOne {
				flag = " **N+1**"
			}
			fmt.Fprintf(&b, "| %d | %d | `%s`%s |\n", s.Count, s.Rows, cell(short(s.Normalized, 160)), flag)
		}
	}
	if c.Output != "" {
		fmt.Fprintf(&b, "\n## Solution output\n\n```\n%s\n```\n", strings.TrimRight(c.Output, "\n"))
	}
	e := c.Environment
	fmt.Fprintf(&b, "\n---\nPostgreSQL %s (%s provider), simulated round trip %s, %d rows, seed %d. Reproduce: `nplus1 grade %s --challenge %s --seed %d`.\n",
		e.PostgresVersion, e.Provider, ms(e.RTTMS), e.Size, e.Seed, c.Solution.Path, c.Challenge.ID, e.Seed)
	return b.String()
}

// Summary writes the short terminal summary of a card.
func Summary(w io.Writer, c *Card) {
	fmt.Fprintf(w, "%s  %s  %s\n", strings.ToUpper(c.Verdict), c.Challenge.ID, c.Solution.Path)
	if c.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", c.Error)
	}
	for _, ch := range c.Checks {
		fmt.Fprintf(w, "  %-7s %-11s %s\n", ch.Status, ch.Name, ch.Message)
	}
	for _, f := range c.Findings {
		fmt.Fprintf(w, "  %s: %s\n", f.Kind, f.Message)
	}
}

func ms(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func num(v *float64, unit string) string {
	if v == nil {
		return ""
	}
	if unit == "ms" {
		return ms(*v)
	}
	return fmt.Sprintf("%g", *v)
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

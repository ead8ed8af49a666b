package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// verdictMark is the verdict as a reader scans for it.
func verdictMark(v string) string {
	switch v {
	case Pass:
		return "✅ PASS"
	case Fail:
		return "❌ FAIL"
	case Error:
		return "⚠️ ERROR"
	}
	return strings.ToUpper(v)
}

// Markdown renders the card as a readable Markdown page: the verdict, the
// portfolio line, before → after figures when the card has a baseline (else
// the measured figures), the checks, the N+1 findings, the statements by
// shape, the solution's output when it failed to start, and how to
// reproduce the grade.
func Markdown(c *Card) string {
	var b strings.Builder
	title := c.Challenge.Title
	if title == "" {
		title = c.Challenge.ID
	}
	if title == "" {
		title = "nplus1 grade"
	}
	fmt.Fprintf(&b, "# %s: %s\n\n", inline(title), verdictMark(c.Verdict))
	line := c.PortfolioLine
	if line == "" {
		line = PortfolioLine(c)
	}
	if line != "" {
		fmt.Fprintf(&b, "> %s\n\n", cell(line)) // it may quote the solution's output
	}
	fmt.Fprintf(&b, "`%s` graded by %s %s on %s.", code(c.Solution.Path), c.Tool.Name, c.Tool.Version, c.GradedAt.UTC().Format("2006-01-02 15:04 UTC"))
	tech := c.Technique
	if tech == "" {
		tech = Technique(c)
	}
	if tech != "" {
		fmt.Fprintf(&b, " Technique, read from its statements: %s.", tech)
	}
	if idioms := c.Solution.Idioms; len(idioms) > 0 {
		fmt.Fprintf(&b, " ORM calls in its code: %s.", strings.Join(idioms, ", "))
	}
	b.WriteString("\n\n")
	if c.Verdict == Error {
		b.WriteString("The grade could not be made; this says nothing about the solution.")
		if c.Error != "" {
			fmt.Fprintf(&b, " **Error:** %s", cell(c.Error))
		}
		b.WriteString("\n\n")
	} else if c.Error != "" {
		fmt.Fprintf(&b, "**Error:** %s\n\n", cell(c.Error))
	}
	if m := c.Metrics; m != nil {
		if w := wrongAnswer(c); w != nil && c.Verdict == Fail {
			fmt.Fprintf(&b, "The answers were wrong (see the %s check), so the figures below prove nothing and are not credited.\n\n", w.Name)
		}
		if bl := c.Baseline; bl != nil {
			fmt.Fprintf(&b, "## Before → after\n\nMeasured in the same run, at a simulated %s network round trip.\n\n", msText(c.Environment.RTTMS))
			fmt.Fprintf(&b, "| per request | before (starter, %s) | after (this solution) |\n|---|---:|---:|\n", orDash(bl.Language))
			bm := bl.Metrics
			fmt.Fprintf(&b, "| data statements | %d | %d (limit %d) |\n", bm.Statements, m.Statements, c.Challenge.MaxStatements)
			fmt.Fprintf(&b, "| round trips | %d | %d |\n", bm.RoundTrips, m.RoundTrips)
			fmt.Fprintf(&b, "| p50 latency | %s | %s |\n", ms(bm.Latency.P50), ms(m.Latency.P50))
			fmt.Fprintf(&b, "| p95 latency | %s | %s (budget %s) |\n\n", ms(bm.Latency.P95), ms(m.Latency.P95), ms(c.Challenge.P95BudgetMS))
			if HasTimeline(c) {
				fmt.Fprintf(&b, "![One request's statements on a time axis, before and after](%s)\n\n", TimelineFile)
			}
		} else {
			fmt.Fprintf(&b, "| data statements per request | round trips per request | p50 | p95 |\n|---:|---:|---:|---:|\n")
			fmt.Fprintf(&b, "| %d (limit %d) | %d | %s | %s (budget %s) |\n\n", m.Statements, c.Challenge.MaxStatements, m.RoundTrips,
				ms(m.Latency.P50), ms(m.Latency.P95), ms(c.Challenge.P95BudgetMS))
		}
		if len(m.Scaling) > 1 {
			b.WriteString("Data statements per request by data size:")
			for i, s := range m.Scaling {
				sep := ","
				if i == 0 {
					sep = ""
				}
				fmt.Fprintf(&b, "%s %d rows → %d", sep, s.Size, s.Statements)
			}
			b.WriteString(".\n\n")
		}
	}
	if line := overheadText(c.Overhead); line != "" {
		b.WriteString(line + "\n\n")
	}
	b.WriteString("## Checks\n\n| check | status | value | limit | message |\n|---|---|---:|---:|---|\n")
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", ch.Name, ch.Status, num(ch.Value, ch.Unit), num(ch.Limit, ch.Unit), cell(ch.Message))
	}
	if len(c.Checks) == 0 {
		b.WriteString("| (none ran) | | | | |\n")
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
			switch {
			case s.NPlusOne:
				flag = " **N+1**"
			case s.Catalog:
				flag = " (driver overhead, not counted)"
			}
			fmt.Fprintf(&b, "| %d | %d | `%s`%s |\n", s.Count, s.Rows, code(short(s.Normalized, 160)), flag)
		}
	}
	if c.Output != "" {
		fmt.Fprintf(&b, "\n## Solution output\n\n%s\n%s\n%s\n", fence(c.Output), strings.TrimRight(c.Output, "\n"), fence(c.Output))
	}
	e := c.Environment
	b.WriteString("\n---\n")
	if e.Seed != 0 { // 0: a bare card, of a grade that could not begin
		fmt.Fprintf(&b, "PostgreSQL %s (%s provider), simulated round trip %s, %d rows, seed %d. ", orDash(e.PostgresVersion), orDash(e.Provider), ms(e.RTTMS), e.Size, e.Seed)
	}
	if e.Sandbox != "" {
		fmt.Fprintf(&b, "Sandbox: %s. ", SandboxText(e.Sandbox))
	}
	fmt.Fprintf(&b, "Reproduce: `%s`.\n", code(Reproduce(c)))
	fmt.Fprintf(&b, "Solution %s, challenge %s.", orDash(c.Solution.Digest), orDash(c.Challenge.Digest))
	if s := c.Signature; s != nil {
		fmt.Fprintf(&b, " Signed (%s, key %s): check with `nplus1 verify result.json --key KEY.pub`.", s.Algorithm, s.KeyID)
	}
	b.WriteString("\n")
	return b.String()
}

// overheadText is the line of result.md about the statements that read only
// the system catalogs (Card.Overhead), or "" when there were none.
func overheadText(overhead []Shape) string {
	if len(overhead) == 0 {
		return ""
	}
	total := 0
	var shapes []string
	for _, s := range overhead {
		total += s.Count
		name := "`" + code(short(s.Normalized, 160)) + "`"
		if s.Count > 1 {
			name += fmt.Sprintf(" ×%d", s.Count)
		}
		shapes = append(shapes, name)
	}
	return fmt.Sprintf("Driver overhead, listed apart and not counted against the limit: %s that read only the system catalogs, in all the requests: %s.",
		Count(total, "statement"), strings.Join(shapes, ", "))
}

// Summary writes the short terminal summary of a card.
func Summary(w io.Writer, c *Card) {
	fmt.Fprintf(w, "%s  %s  %s\n", strings.ToUpper(c.Verdict), c.Challenge.ID, printable(c.Solution.Path))
	if c.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", c.Error)
	}
	for _, ch := range c.Checks {
		fmt.Fprintf(w, "  %-7s %-11s %s\n", ch.Status, ch.Name, ch.Message)
	}
	for _, f := range c.Findings {
		fmt.Fprintf(w, "  %s: %s\n", f.Kind, f.Message)
	}
	if c.PortfolioLine != "" && c.Verdict == Pass {
		fmt.Fprintf(w, "  %s\n", c.PortfolioLine)
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell makes text safe inside a Markdown table cell: it shows as written,
// never as markup (messages quote what the solution answered).
func cell(s string) string {
	return strings.NewReplacer("\r\n", "<br>", "\r", "<br>", "\n", "<br>").Replace(inline(s))
}

// inline escapes the characters that Markdown or HTML would read as markup
// in running text, so text from a solution shows as written.
var inline = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`, "!", `\!`,
).Replace

// code makes text safe inside a `code span` in a table cell: a backtick
// would end the span early.
// Inside a span other characters show as written; in a table, GitHub still
// reads \| as the pipe.
func code(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

// fence returns a code fence longer than any run of backticks in s.
func fence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ShellWords writes a command as a shell would take it back: words that
// hold anything but letters, digits and -_./=:,+@% are single-quoted.
func ShellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		plain := w != ""
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
				plain = false
				break
			}
		}
		words[i] = w
		if !plain {
			words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}

// Reproduce is the command that grades the card's solution again on the
// same data (the seed) and under the same conditions, as a shell takes
// it: the card's own Reproduce when the grader wrote one.
func Reproduce(c *Card) string {
	if len(c.Reproduce) > 0 {
		return ShellWords(c.Reproduce)
	}
	argv := []string{"nplus1", "grade", c.Solution.Path}
	if c.Challenge.ID != "" {
		argv = append(argv, "--challenge", c.Challenge.ID)
	}
	if c.Environment.Seed != 0 {
		argv = append(argv, "--seed", strconv.FormatInt(c.Environment.Seed, 10))
	}
	return ShellWords(argv)
}

// SandboxText says what a card's sandbox value means to a reader: with
// "none", nothing kept the solution from reaching the database around the
// grader's proxy, so the counts are only as good as its honesty.
func SandboxText(sandbox string) string {
	if strings.HasPrefix(sandbox, "none") {
		return sandbox + ": the solution ran as the grader, unisolated; its statement counts hold only if it did not reach the database another way"
	}
	return sandbox
}

// printable is s on one line with its control characters shown as '?': a
// directory's name must not write lines of its own into a terminal or a
// CI log.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

package reports

import (
	"fmt"
	"regexp"
	"strings"
)

// A technique is one way of fetching related rows without an N+1, as it
// shows in SQL text.
type technique struct {
	name   string         // stored in Card.Technique
	phrase string         // in a sentence: "a LATERAL join"
	re     *regexp.Regexp // matched against the lower-cased statement, string literals removed
	// ignore, when set, is removed from the statement before re is
	// matched: the "(SELECT" of a CTE, a LATERAL join or ARRAY(...) is
	// named by those, not as a subquery.
	ignore *regexp.Regexp
}

// techniques in the order they are named, most specific first.
var techniques = []technique{
	{"LATERAL join", "a LATERAL join", regexp.MustCompile(`\blateral\b`), nil},
	{"JOIN", "a JOIN", regexp.MustCompile(`\bjoin\b`), nil},
	{"batched ANY", "a batched = ANY lookup", regexp.MustCompile(`=\s*(any|some)\s*\(`), nil},
	{"batched IN", "a batched IN lookup", regexp.MustCompile(`\bin\s*\(\s*(\$\d+|\?|%s|[-+]?\d|'|array\b|\.\.\.\d)`), nil},
	{"JSON aggregation", "JSON aggregation", regexp.MustCompile(`\b(json_agg|jsonb_agg|json_object_agg|jsonb_object_agg)\s*\(`), nil},
	{"array aggregation", "array aggregation", regexp.MustCompile(`\b(array_agg|string_agg)\s*\(|\barray\s*\(\s*select\b`), nil},
	{"window function", "a window function", regexp.MustCompile(`\bover\s*\(`), nil},
	{"CTE", "a CTE", regexp.MustCompile(`^\s*with\b`), nil},
	{"subquery", "a subquery", regexp.MustCompile(`\(\s*select\b`), regexp.MustCompile(`\b(as\s*(not\s+)?(materialized\s*)?|lateral\s*|array\s*)\(\s*select\b`)},
	{"UNION", "UNION", regexp.MustCompile(`\bunion\b`), nil},
}

var stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)

// Technique reads from the solution's own data statements (c.Shapes) how
// it fetches its data, and names it: "JOIN", "batched ANY", "batched IN",
// "LATERAL join", "JSON aggregation", "array aggregation", "window
// function", "CTE", "subquery", "UNION", several joined by ", " in that
// order. A LATERAL join is not also called a JOIN. It looks at each shape's
// Example (the SQL as sent, cut to a snippet) and Normalized text (which
// writes an IN list as "in (...10)"). It returns "" when there is no data
// statement or none of these shows.
func Technique(c *Card) string {
	return strings.Join(techniqueNames(c), ", ")
}

func techniqueNames(c *Card) []string {
	var texts []string
	for _, s := range c.Shapes {
		if !s.Data {
			continue
		}
		for _, t := range []string{s.Example, s.Normalized} {
			texts = append(texts, stringLiteral.ReplaceAllString(strings.ToLower(strings.TrimSpace(t)), "''"))
		}
	}
	var names []string
	for _, t := range techniques {
		if t.name == "JOIN" && contains(names, "LATERAL join") {
			continue
		}
		for _, s := range texts {
			if t.ignore != nil {
				s = t.ignore.ReplaceAllString(s, "")
			}
			if t.re.MatchString(s) {
				names = append(names, t.name)
				break
			}
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Annotate sets the fields derived from the measurement: Technique and
// PortfolioLine. Call it once the grader has filled the card, before Sign
// and Write.
func Annotate(c *Card) {
	c.Technique = Technique(c)
	c.PortfolioLine = PortfolioLine(c)
}

// PortfolioLine writes the one sentence a learner can show, from the
// card's figures only:
//
//   - passed with a baseline: "Replaced the per-order user lookup with a
//     single JOIN, reducing 101 queries to 1 and p95 latency from 612 ms to
//     9.4 ms (5 ms simulated network round trip)."
//   - passed without one: "Solved Orders and their users with a single JOIN:
//     1 query per request, p95 latency 9.4 ms (5 ms simulated network round
//     trip)."
//   - failed: what was measured against the limits; when the answers were
//     wrong (correct or fresh failed), that and why, without the figures,
//     which prove nothing of a wrong answer; when nothing was measured
//     (the solution did not build or start), the first failure.
//   - error: "".
//
// "Queries" are data statements. The technique is c.Technique when set,
// else Technique(c).
func PortfolioLine(c *Card) string {
	m := c.Metrics
	if c.Verdict == Error {
		return ""
	}
	if m == nil {
		for _, ch := range c.Checks {
			if ch.Status == Fail && c.Verdict == Fail {
				return fmt.Sprintf("Not solved yet (failed: %s): %s", ch.Name, quote(ch.Message))
			}
		}
		return ""
	}
	rtt := fmt.Sprintf("%s simulated network round trip", msText(c.Environment.RTTMS))
	if c.Verdict != Pass {
		var failed []string
		for _, ch := range c.Checks {
			if ch.Status == Fail {
				failed = append(failed, ch.Name)
			}
		}
		if w := wrongAnswer(c); w != nil && c.Verdict == Fail {
			// The figures of wrong answers prove nothing: say why it failed.
			return fmt.Sprintf("Not solved yet (failed: %s): the answers were wrong: %s", strings.Join(failed, ", "), quote(w.Message))
		}
		return fmt.Sprintf("Not solved yet (failed: %s). Measured %s per request (limit %d) and p95 latency %s (budget %s) at a %s.",
			strings.Join(failed, ", "), queries(m.Statements), c.Challenge.MaxStatements, msText(m.Latency.P95), msText(c.Challenge.P95BudgetMS), rtt)
	}
	names := techniqueNames(c)
	if c.Technique != "" {
		names = strings.Split(c.Technique, ", ")
	}
	how := howPhrase(m.Statements, names)
	if len(c.Solution.Idioms) > 0 {
		how += " (" + andList(c.Solution.Idioms) + ")"
	}
	if b := c.Baseline; b != nil && b.Metrics.Statements > m.Statements {
		return fmt.Sprintf("Replaced %s with %s, reducing %s to %d and p95 latency from %s to %s (%s).",
			replaced(b.Findings), how, queries(b.Metrics.Statements), m.Statements,
			msText(b.Metrics.Latency.P95), msText(m.Latency.P95), rtt)
	}
	return fmt.Sprintf("Solved %s with %s: %s per request, p95 latency %s (%s).",
		c.Challenge.Title, how, queries(m.Statements), msText(m.Latency.P95), rtt)
}

// quote is a check's message on one line, cut to 160 characters, for the
// portfolio line.
func quote(msg string) string {
	r := []rune(strings.Join(strings.Fields(msg), " "))
	if len(r) > 160 {
		r = append(r[:160], '…')
	}
	return string(r)
}

// howPhrase: "a single JOIN", "a single query using a LATERAL join and JSON
// aggregation", "2 queries using a batched = ANY lookup".
func howPhrase(n int, names []string) string {
	var phrases []string
	for _, name := range names {
		for _, t := range techniques {
			if t.name == name {
				phrases = append(phrases, t.phrase)
			}
		}
	}
	if n == 1 && len(names) == 1 && names[0] == "JOIN" {
		return "a single JOIN"
	}
	head := queries(n)
	if n == 1 {
		head = "a single query"
	}
	if len(phrases) == 0 {
		return head
	}
	return head + " using " + andList(phrases)
}

// replaced names what the starter repeated, from its N+1 findings: "the
// per-order user lookup", "the per-order user and product lookups".
func replaced(fs []Finding) string {
	var what []string
	per := ""
	for _, f := range fs {
		t := table(f.Normalized)
		if t == "" {
			continue
		}
		what = append(what, singular(t))
		if s := table(f.Source); s != "" && per == "" {
			per = "per-" + singular(s) + " "
		}
	}
	if len(what) == 0 {
		return "the N+1 queries"
	}
	noun := "lookup"
	if len(what) > 1 {
		noun = "lookups"
	}
	if per == "" {
		per = "per-row "
	}
	return "the " + per + andList(what) + " " + noun
}

var fromTable = regexp.MustCompile(`\bfrom\s+(?:only\s+)?((?:"[^"]+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[a-z_][\w$]*))?)`)

// table returns the first table a normalized statement reads, without its
// schema and quotes; "" when there is none.
func table(sql string) string {
	m := fromTable.FindStringSubmatch(strings.ToLower(sql))
	if m == nil {
		return ""
	}
	t := m[1]
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = t[i+1:]
	}
	return strings.Trim(strings.TrimSpace(t), `"`)
}

// singular turns a plural table name into a noun: orders -> order,
// categories -> category. Names that are not plural are kept.
func singular(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 3:
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss") && len(s) > 1:
		return s[:len(s)-1]
	}
	return s
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func queries(n int) string {
	if n == 1 {
		return "1 query"
	}
	return fmt.Sprintf("%d queries", n)
}

// Count writes "1 thing" or "n things", for a noun whose plural takes an s:
// Count(1, "data statement").
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// msText writes a latency for prose: "612 ms", "9.4 ms", "5 ms".
func msText(v float64) string {
	switch {
	case v >= 100 || v == float64(int64(v)):
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// Package check judges what the grader measured: the responses, the
// statements per request and the latencies. Every function here is pure: it
// takes measurements and returns checks and findings for the card. A failed
// check is a result, not an error.
package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// Response is one HTTP response of the solution.
type Response struct {
	Status int
	Body   []byte
}

// Correct checks that every response is 200 with a body equal, as JSON, to
// want. On a mismatch the message names the first difference.
func Correct(want []byte, responses []Response) reports.Check {
	c := reports.Check{Name: "correct", Status: reports.Pass}
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		c.Status, c.Message = reports.Error, "the challenge's expected response is not JSON: "+err.Error()
		return c
	}
	for i, r := range responses {
		if r.Status != 200 {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("request %d: status %d, want 200; body: %s", i+1, r.Status, snippet(r.Body))
			return c
		}
		d := json.NewDecoder(bytes.NewReader(r.Body))
		d.UseNumber()
		var g any
		if err := d.Decode(&g); err != nil {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("request %d: the body is not JSON (%v): %s", i+1, err, snippet(r.Body))
			return c
		}
		if diff := DiffJSON(w, g); diff != "" {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("request %d: %s", i+1, diff)
			return c
		}
	}
	c.Message = fmt.Sprintf("all %d responses match the expected JSON", len(responses))
	return c
}

// DiffJSON describes the first difference between two decoded JSON values
// ("" when equal): where it is, what was wanted, what came. Numbers compare
// by value; object keys in any order.
func DiffJSON(want, got any) string { return diff("", want, got) }

func diff(path string, want, got any) string {
	at := path
	if at == "" {
		at = "the response"
	}
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: want an array, got %s", at, brief(got))
		}
		for i := 0; i < len(w) && i < len(g); i++ {
			if d := diff(elem(path, i, w[i]), w[i], g[i]); d != "" {
				return d
			}
		}
		if len(w) != len(g) {
			n := min(len(w), len(g))
			if len(g) < len(w) {
				return fmt.Sprintf("%s: want %d elements, got %d; first missing: %s", at, len(w), len(g), brief(w[n]))
			}
			return fmt.Sprintf("%s: want %d elements, got %d; first extra: %s", at, len(w), len(g), brief(g[n]))
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %s", at, brief(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s: missing field %q (want %s)", at, k, brief(w[k]))
			}
			if d := diff(join(path, k), w[k], gv); d != "" {
				return d
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s: unexpected field %q", at, k)
			}
		}
	default:
		if !scalarEqual(want, got) {
			return fmt.Sprintf("%s: want %s, got %s", at, brief(want), brief(got))
		}
	}
	return ""
}

// elem names an array element, with its "id" when it has one: [3] (id 17).
func elem(path string, i int, v any) string {
	p := fmt.Sprintf("%s[%d]", path, i)
	if m, ok := v.(map[string]any); ok {
		if id, ok := m["id"]; ok {
			p += fmt.Sprintf(" (id %v)", id)
		}
	}
	return p
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func scalarEqual(want, got any) bool {
	wn, wok := number(want)
	gn, gok := number(got)
	if wok || gok {
		return wok && gok && wn == gn
	}
	return want == got
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func brief(v any) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return snippet(b)
}

func snippet(b []byte) string {
	const max = 200
	r := []rune(string(b))
	if len(r) > max {
		return string(r[:max]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(r)
}

// Statements checks that no request made more data statements than limit.
// counts holds each request's data statement count.
func Statements(counts []int, limit int) reports.Check {
	most := slices.Max(counts)
	c := reports.Check{Name: "statements", Value: reports.Float(float64(most)), Limit: reports.Float(float64(limit)), Unit: "statements"}
	if most <= limit {
		c.Status = reports.Pass
		c.Message = fmt.Sprintf("at most %d data statements per request (limit %d)", most, limit)
	} else {
		c.Status = reports.Fail
		c.Message = fmt.Sprintf("%d data statements in one request; the limit is %d", most, limit)
	}
	return c
}

// Latency checks the 95th percentile of the timed requests against budget.
func Latency(timed []time.Duration, budget, rtt time.Duration) (reports.Check, reports.LatencyMS) {
	l := reports.LatencyMS{P50: Percentile(timed, 50), P95: Percentile(timed, 95), Max: Percentile(timed, 100)}
	c := reports.Check{Name: "latency", Value: reports.Float(l.P95), Limit: reports.Float(msOf(budget)), Unit: "ms"}
	if l.P95 <= msOf(budget) {
		c.Status = reports.Pass
	} else {
		c.Status = reports.Fail
	}
	c.Message = fmt.Sprintf("p95 %.1f ms, p50 %.1f ms over %d requests at a simulated %s round trip (budget %s)",
		l.P95, l.P50, len(timed), rtt, budget)
	return c, l
}

// Percentile returns the p-th percentile (nearest rank) in milliseconds.
func Percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return msOf(s[rank-1])
}

func msOf(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// nPlusOneMin is how many times one data shape must run in one request to be
// an N+1.
const nPlusOneMin = 3

// Shapes groups one request's statements by shape, most frequent first.
func Shapes(stmts []proxy.Statement) []reports.Shape {
	var out []reports.Shape
	index := map[string]int{}
	for _, s := range stmts {
		sh := sqlshape.Of(s.SQL)
		i, ok := index[sh.Fingerprint]
		if !ok {
			i = len(out)
			index[sh.Fingerprint] = i
			out = append(out, reports.Shape{Fingerprint: sh.Fingerprint, Normalized: sh.Normalized, Example: snippet([]byte(s.SQL)), Data: s.Data})
		}
		out[i].Count++
		out[i].Rows += s.Rows
	}
	for i := range out {
		out[i].NPlusOne = out[i].Data && out[i].Count >= nPlusOneMin
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// NPlusOne finds the data shapes one request ran nPlusOneMin times or more,
// each with its source: the earlier statement of another shape whose row
// count matches the repeats (else the one with the most rows), the rule that
// Bullet and nplusone use.
func NPlusOne(stmts []proxy.Statement) []reports.Finding {
	var out []reports.Finding
	for _, sh := range Shapes(stmts) {
		if !sh.NPlusOne {
			continue
		}
		f := reports.Finding{Kind: "n+1", Fingerprint: sh.Fingerprint, Normalized: sh.Normalized, Count: sh.Count}
		first := slices.IndexFunc(stmts, func(s proxy.Statement) bool { return sqlshape.Of(s.SQL).Fingerprint == sh.Fingerprint })
		var best *proxy.Statement
		for i := first - 1; i >= 0; i-- {
			s := &stmts[i]
			if !s.Data || s.Rows < 2 {
				continue
			}
			if s.Rows == int64(sh.Count) {
				best = s
				break
			}
			if best == nil || s.Rows > best.Rows {
				best = s
			}
		}
		f.Message = fmt.Sprintf("`%s` ran %d times in one request", short(sh.Normalized), sh.Count)
		if best != nil {
			f.Source = sqlshape.Normalize(best.SQL)
			f.SourceRows = best.Rows
			f.Message += fmt.Sprintf(", once for each of the %d rows of `%s`: fetch them in one statement (a JOIN, or WHERE ... = ANY($1) with all the keys)", best.Rows, short(f.Source))
		}
		out = append(out, f)
	}
	return out
}

func short(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// Scaling checks that the data statements per request do not grow with the
// data: no size may need more statements than a smaller one.
func Scaling(per []reports.SizeStatements) reports.Check {
	c := reports.Check{Name: "scaling", Status: reports.Pass, Unit: "statements"}
	var parts []string
	for i, p := range per {
		parts = append(parts, fmt.Sprintf("%d at %d rows", p.Statements, p.Size))
		if i > 0 && p.Statements > per[0].Statements {
			c.Status = reports.Fail
		}
	}
	most := slices.MaxFunc(per, func(a, b reports.SizeStatements) int { return a.Statements - b.Statements })
	c.Value, c.Limit = reports.Float(float64(most.Statements)), reports.Float(float64(per[0].Statements))
	if c.Status == reports.Pass {
		c.Message = "the statement count does not grow with the data: " + strings.Join(parts, ", ")
	} else {
		c.Message = "the statement count grows with the data: " + strings.Join(parts, ", ")
	}
	return c
}

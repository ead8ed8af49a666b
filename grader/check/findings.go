package check

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// This file holds the findings of one request's statements: their shapes,
// N+1 and over-fetch (listing.go lists them).

// nPlusOneMin is how many times one data shape must run in one request to be
// an N+1.
const nPlusOneMin = 3

// Shapes groups one request's statements by shape (fingerprint), most
// frequent first. A group shows its first statement: Normalized is that
// statement normalized as written (`in (...10)`, `= any(?)`), Example its
// SQL as sent. A data shape is an N+1 when nPlusOneMin of its runs or more
// were not batched writes: a multi-row INSERT (sqlshape.Shape.InsertRows)
// carried many rows at once, so the chunks of one batch (pgjdbc's, 64 rows
// then 32 then 4) are no loop, though they share a shape.
func Shapes(stmts []proxy.Statement) []reports.Shape {
	var out []reports.Shape
	index := map[string]int{}
	single := map[string]int{} // runs that were not batched writes, by shape
	for _, s := range stmts {
		sh := sqlshape.Of(s.SQL)
		i, ok := index[sh.Fingerprint]
		if !ok {
			i = len(out)
			index[sh.Fingerprint] = i
			out = append(out, reports.Shape{Fingerprint: sh.Fingerprint, Normalized: sh.Normalized, Example: snippet([]byte(s.SQL)), Data: s.Data, Catalog: s.Catalog})
		}
		out[i].Count++
		out[i].Rows += s.Rows
		if sh.InsertRows < 2 {
			single[sh.Fingerprint]++
		}
	}
	for i := range out {
		out[i].NPlusOne = out[i].Data && single[out[i].Fingerprint] >= nPlusOneMin
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// fingerprints returns the shape fingerprint of each statement.
func fingerprints(stmts []proxy.Statement) []string {
	fps := make([]string, len(stmts))
	for i, s := range stmts {
		fps[i] = sqlshape.Of(s.SQL).Fingerprint
	}
	return fps
}

// NPlusOne finds the data shapes one request ran nPlusOneMin times or more,
// each with its source, by the rule Bullet, nplusone and Laravel use: the
// earlier data statement of another shape whose row count equals the
// repeats (for runs that carried several keys each, first the one whose
// rows equal all their keys); else an earlier shape whose rows, over all
// its runs, equal them (a nested N+1: a lookup per item of every order);
// else the earlier statement with the most rows. Shapes that repeat
// together, one after the other for each row (A-B-A-B: two queries per
// parent), are named as one loop in each one's message.
//
// The message says what the counts say: runs as many as the source's rows
// are once per row; fewer runs of one key each are once each for some of
// the rows; runs of several keys each (`IN (...10)`, `= ANY($1)`), fewer
// than the rows, are a chunked batch.
func NPlusOne(stmts []proxy.Statement) []reports.Finding {
	fps := fingerprints(stmts)
	var out []reports.Finding
	shapes := Shapes(stmts)
	loops := loopsOf(stmts, fps, shapes)
	for _, sh := range shapes {
		if !sh.NPlusOne {
			continue
		}
		f := reports.Finding{Kind: "n+1", Fingerprint: sh.Fingerprint, Normalized: sh.Normalized, Count: sh.Count}
		first := slices.Index(fps, sh.Fingerprint)
		k := keysOf(stmts, fps, sh.Fingerprint)
		total := 0
		if k.several() && !k.whole {
			total = k.total
		}
		// The runs of a multi-row INSERT among them were batched writes:
		// the loop is the others.
		runs := sh.Count - k.batched
		src, srcRows, perShape := source(stmts, fps, first, runs, total)
		f.Message = fmt.Sprintf("`%s` ran %s in one request", short(sh.Normalized), reports.Count(sh.Count, "time"))
		if k.batched > 0 {
			f.Message += fmt.Sprintf(" (%d of one row each, and %s, a batched write)", runs, reports.Count(k.batched, "multi-row INSERT"))
		}
		if loop := loops[sh.Fingerprint]; len(loop) > 1 {
			var others []string
			for _, fp := range loop {
				if fp != sh.Fingerprint {
					others = append(others, "`"+short(normalizedOf(shapes, fp))+"`")
				}
			}
			f.Message += fmt.Sprintf(", in a loop that runs %d statements per row (with %s)", len(loop), strings.Join(others, ", "))
		}
		switch {
		case src != "":
			f.Source, f.SourceRows = src, srcRows
			f.Message += ", " + fed(runs, k, srcRows, src, perShape)
		case k.several():
			f.Message += ", " + k.each()
		}
		out = append(out, f)
	}
	return out
}

// fetchOnce is the advice for statements run once per row; insertOnce for
// INSERTs run once per row.
const (
	fetchOnce  = ": fetch them in one statement (a JOIN, or WHERE ... = ANY($1) with all the keys)"
	insertOnce = ": insert them in one statement (a multi-row INSERT ... VALUES, or INSERT ... SELECT FROM unnest($1, ...) with all the rows)"
)

// fed words how count runs carrying keys k relate to the rows of their
// source src: once per row, once for some of the rows, or a chunked batch.
func fed(count int, k keys, rows int64, src string, perShape bool) string {
	advice := fetchOnce
	if k.insert {
		advice = insertOnce
	}
	of := fmt.Sprintf("the %d rows of `%s`", rows, short(src))
	if perShape {
		of = fmt.Sprintf("the %d rows that the runs of `%s` returned", rows, short(src))
	}
	switch n := int64(count); {
	case n == rows:
		each := ""
		if k.several() {
			each = " (" + k.each() + ")"
		}
		return "once for each of " + of + each + advice
	case n < rows && k.several():
		return k.each() + ", for " + of + ": a chunked batch; one statement with all the keys would do (WHERE ... = ANY($1) with all of them in one array, or a JOIN)"
	case n < rows:
		return fmt.Sprintf("once each for %d of %s", count, of) + advice
	}
	return "more times than " + of + " (the most rows a statement before it returned)" + advice
}

// keys are the keys the runs of one shape carried, as their text shows
// them (sqlshape.Shape.Values): a run without a list carried one.
type keys struct {
	runs, least, most, total int
	whole                    bool // some run compared with a whole array (= ANY($1)) of unknown length
	batched                  int  // runs that were multi-row INSERTs (not counted in the others)
	insert                   bool // the runs are INSERTs
}

func keysOf(stmts []proxy.Statement, fps []string, fp string) keys {
	var k keys
	for i, s := range stmts {
		if fps[i] != fp || !s.Data {
			continue
		}
		sh := sqlshape.Of(s.SQL)
		k.insert = sh.InsertRows > 0
		if sh.InsertRows > 1 {
			k.batched++
			continue
		}
		v := sh.Values
		if v < 0 {
			k.whole = true
			continue
		}
		v = max(v, 1)
		if k.runs == 0 || v < k.least {
			k.least = v
		}
		k.most = max(k.most, v)
		k.total += v
		k.runs++
	}
	return k
}

// several reports whether the runs carried more than one key each, as a
// batch does.
func (k keys) several() bool { return k.most > 1 || k.whole }

// each says how many keys each run carried: "10 keys each", "7 to 10 keys
// each", "each with an array of keys".
func (k keys) each() string {
	switch {
	case k.whole:
		return "each with an array of keys"
	case k.least == k.most:
		return fmt.Sprintf("%d keys each", k.most)
	}
	return fmt.Sprintf("%d to %d keys each", k.least, k.most)
}

// source finds what fed a shape that ran count times from statement first
// on: see NPlusOne. keys, when more than count, is how many keys the runs
// carried in all; a source with that many rows comes first. perShape is
// set when the rows are those of all the runs of a shape.
func source(stmts []proxy.Statement, fps []string, first, count, keys int) (sql string, rows int64, perShape bool) {
	self := fps[first]
	wants := []int64{int64(count)}
	if keys > count {
		wants = []int64{int64(keys), int64(count)}
	}
	var best *proxy.Statement
	for _, want := range wants {
		for i := first - 1; i >= 0; i-- {
			s := &stmts[i]
			if !s.Data || s.Rows < 2 || fps[i] == self {
				continue
			}
			if s.Rows == want {
				return sqlshape.Normalize(s.SQL), s.Rows, false
			}
			if best == nil || s.Rows > best.Rows {
				best = s
			}
		}
	}
	// A shape whose runs, all before the last repeat, returned count rows.
	last := len(fps) - 1 - slices.Index(reversed(fps), self)
	totals := map[string]int64{}
	var order []string
	for i := 0; i < last; i++ {
		if !stmts[i].Data || fps[i] == self {
			continue
		}
		if _, seen := totals[fps[i]]; !seen {
			order = append(order, fps[i])
		}
		totals[fps[i]] += stmts[i].Rows
	}
	for _, want := range wants {
		for _, fp := range order {
			if totals[fp] == want && totals[fp] >= 2 {
				i := slices.Index(fps, fp)
				if i < first {
					return sqlshape.Normalize(stmts[i].SQL), totals[fp], true
				}
			}
		}
	}
	if best != nil {
		return sqlshape.Normalize(best.SQL), best.Rows, false
	}
	return "", 0, false
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func normalizedOf(shapes []reports.Shape, fp string) string {
	for _, s := range shapes {
		if s.Fingerprint == fp {
			return s.Normalized
		}
	}
	return ""
}

// loopsOf finds N+1 shapes that run as one loop body: shapes with the same
// count whose runs, in order, repeat one fixed sequence (A B A B ...: two
// queries per parent). It maps each such shape to the loop's shapes, in
// the order the loop runs them.
func loopsOf(stmts []proxy.Statement, fps []string, shapes []reports.Shape) map[string][]string {
	byCount := map[int][]string{}
	for _, sh := range shapes {
		if sh.NPlusOne {
			byCount[sh.Count] = append(byCount[sh.Count], sh.Fingerprint)
		}
	}
	out := map[string][]string{}
	for count, group := range byCount {
		if len(group) < 2 {
			continue
		}
		in := map[string]bool{}
		for _, fp := range group {
			in[fp] = true
		}
		var seq []string
		for i, fp := range fps {
			if in[fp] && stmts[i].Data {
				seq = append(seq, fp)
			}
		}
		k := len(group)
		if len(seq) != k*count {
			continue
		}
		cycle := seq[:k]
		periodic := len(slices.Compact(slices.Sorted(slices.Values(cycle)))) == k
		for i := k; periodic && i < len(seq); i++ {
			periodic = seq[i] == cycle[i%k]
		}
		if periodic {
			for _, fp := range cycle {
				out[fp] = cycle
			}
		}
	}
	return out
}

// volatile names functions whose result differs between two runs of the
// same statement: such statements do not fetch the same rows again.
var volatile = regexp.MustCompile(`(?i)\b(random|now|nextval|setval|clock_timestamp|statement_timestamp|timeofday|gen_random_uuid|uuid_generate_v\d\w*|txid_current|pg_sleep\w*)\s*\(`)

// OverFetch reports rows a request fetched more than once: a reading
// statement that ran again with the same SQL text and the same parameter
// values as an earlier one in the same request returned, the data being
// unchanged (the grade checks that nothing is written), the same rows
// again. Those rows were returned but not needed. It returns one finding
// when at least one statement repeated an earlier one exactly, nothing
// otherwise: statements with volatile functions, statements whose
// parameters the tracer did not read, and failed ones are left out.
func OverFetch(stmts []proxy.Statement) []reports.Finding {
	type key struct{ sql, params string }
	seen := map[key]bool{}
	type waste struct {
		fp, normalized string
		runs, repeats  int
		rows           int64
	}
	var order []string
	byShape := map[string]*waste{}
	var total, wasted int64
	for _, s := range stmts {
		if !s.Data || s.Error != "" {
			continue
		}
		total += s.Rows
		if !strings.HasPrefix(s.Tag, "SELECT") || (s.Extended && s.Params == "") || volatile.MatchString(s.SQL) {
			continue
		}
		sh := sqlshape.Of(s.SQL)
		w := byShape[sh.Fingerprint]
		if w == nil {
			w = &waste{fp: sh.Fingerprint, normalized: sh.Normalized}
			byShape[sh.Fingerprint] = w
			order = append(order, sh.Fingerprint)
		}
		w.runs++
		k := key{s.SQL, s.Params}
		if seen[k] {
			w.repeats++
			w.rows += s.Rows
			wasted += s.Rows
		}
		seen[k] = true
	}
	var parts []string
	var worst *waste
	for _, fp := range order {
		w := byShape[fp]
		if w.repeats == 0 {
			continue
		}
		if worst == nil || w.rows > worst.rows {
			worst = w
		}
		parts = append(parts, fmt.Sprintf("`%s` ran %s for %s", short(w.normalized), reports.Count(w.runs, "time"), reports.Count(w.runs-w.repeats, "distinct value")))
	}
	if worst == nil {
		return nil
	}
	msg := fmt.Sprintf("%d of the %d rows the database returned %s fetched again: statements repeated an earlier one with the same SQL and the same parameters (%s); fetch each row once",
		wasted, total, plural(int(wasted), "was", "were"), strings.Join(parts, "; "))
	return []reports.Finding{{Kind: "over-fetch", Fingerprint: worst.fp, Normalized: worst.normalized, Count: worst.repeats, Message: msg}}
}

func short(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// Package check judges what the grader measured: the responses, the
// statements per request and the latencies. Every function here is pure: it
// takes measurements and returns checks and findings for the card. A failed
// check is a result, not an error.
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// Response is one HTTP response of the solution.
type Response struct {
	Status      int
	ContentType string // the Content-Type header as sent
	Body        []byte
}

// Correct checks that every response is 200 with a body that is one JSON
// value (blanks may follow it, nothing else) equal to want. On a mismatch
// the message says how the first wrong answer differs (see diff.go): rows
// names the rows of the top array, the last segment of the endpoint's path
// ("/api/orders": orders). The Content-Type is ContentType's to judge.
func Correct(want []byte, rows string, responses []Response) reports.Check {
	c := reports.Check{Name: "correct", Status: reports.Pass}
	w, err := parseOrdered(want)
	if err != nil {
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
		if rest := bytes.TrimLeft(r.Body[d.InputOffset():], " \t\r\n"); len(rest) > 0 {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("request %d: the body must be one JSON value, but %s follow it: %s", i+1, reports.Count(len(rest), "more byte"), snippet(rest))
			return c
		}
		if diff := describe(rows, w, g); diff != "" {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("request %d: %s", i+1, diff)
			return c
		}
	}
	c.Message = fmt.Sprintf("all %d responses match the expected JSON", len(responses))
	return c
}

// ContentType says what is wrong with the first response not sent as
// application/json ("" when all were), for responses whose bodies are right.
func ContentType(responses []Response) string {
	for i, r := range responses {
		mt, _, err := mime.ParseMediaType(r.ContentType)
		if (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter)) && mt == "application/json" {
			continue
		}
		got := fmt.Sprintf("%q", r.ContentType)
		if r.ContentType == "" {
			got = "missing"
		}
		return fmt.Sprintf("request %d: the body is right, but its Content-Type is %s; want application/json (set the header before writing the body)", i+1, got)
	}
	return ""
}

// DiffJSON describes the differences between two decoded JSON values ("" when
// equal), as Correct does; see diff.go. Numbers compare by value; the keys
// of a map[string]any are taken in sorted order.
func DiffJSON(want, got any) string { return describe("", want, got) }

// brief is v as JSON, as a program would send it: without the escapes of
// <, > and & that json.Marshal adds for HTML.
func brief(v any) string { return briefN(v, 200) }

// briefN is brief cut to about n characters.
func briefN(v any, n int) string {
	if v == nil {
		return "null"
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(v)
	return snippetN(bytes.TrimRight(b.Bytes(), "\n"), n)
}

// Refusals describes the statements the database refused, for the message
// of a check that failed on wrong answers ("" when there were none): a
// program that answers 500 on a SQL error then says why. At most the first
// two distinct refusals are named. A statement at which the server ended
// the connection (SQLSTATE class 57P0: pg_terminate_backend, a shutdown)
// is no refusal: the first is said as such, before them.
func Refusals(stmts []proxy.Statement) string {
	var seen []string
	var parts []string
	ended := ""
	for _, st := range stmts {
		if st.Error == "" {
			continue
		}
		if strings.HasPrefix(st.Error, "57P0") {
			if ended == "" {
				ended = fmt.Sprintf("; the database server ended the solution's connection while it ran `%s`: %s", short(oneLine(st.SQL)), st.Error)
			}
			continue
		}
		key := st.Error + "\x00" + st.SQL
		if slices.Contains(seen, key) {
			continue
		}
		seen = append(seen, key)
		if len(parts) < 2 {
			parts = append(parts, fmt.Sprintf("`%s`: %s", short(oneLine(st.SQL)), st.Error))
		}
	}
	if len(seen) == 0 {
		return ended
	}
	msg := ended + "; the database refused " + strings.Join(parts, "; and ")
	if more := len(seen) - len(parts); more > 0 {
		msg += " (and " + reports.Count(more, "other statement") + ")"
	}
	return msg
}

func snippet(b []byte) string { return snippetN(b, 200) }

// snippetN is snippet cut to max characters.
func snippetN(b []byte, max int) string {
	r := []rune(string(b))
	more := ""
	if len(r) > max {
		r, more = r[:max], fmt.Sprintf("… (%d bytes)", len(b))
	}
	// Control characters are shown escaped, on one line: a body must not
	// move a terminal's cursor or change its colours.
	var s strings.Builder
	for _, c := range r {
		switch {
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\r':
			s.WriteString(`\r`)
		case c == '\t':
			s.WriteString(`\t`)
		case unicode.IsControl(c):
			fmt.Fprintf(&s, `\x%02x`, c)
		default:
			s.WriteRune(c)
		}
	}
	return s.String() + more
}

// Requests are the data statement counts of some requests (one each) and
// when they were sent: When is "" for the timed requests, else it ends "in
// one request …" in a message ("after the grader changed the data", "at 1000
// rows").
type Requests struct {
	When   string
	Counts []int
	// Unread: the answers were right, yet no data statement went through
	// the grader's proxy since the data was made (for the timed requests,
	// since the solution started).
	Unread bool
	// Notices is the most NoticeResponses the server sent in one of the
	// requests: per-row work done inside one statement on the server shows
	// on the wire only as notices, so the card says how many it saw.
	Notices int
}

// Statements checks that no request made more data statements than limit,
// whichever check sent it (a solution must not pad the requests it takes
// for untimed), and that the right answers were read through the grader's
// proxy: the data is random for each grade, so a right answer without a
// data statement came from the database some other way.
func Statements(limit int, groups ...Requests) reports.Check {
	most, when := 0, ""
	for _, g := range groups {
		for _, n := range g.Counts {
			if n > most {
				most, when = n, g.When
			}
		}
	}
	c := reports.Check{Name: "statements", Status: reports.Pass, Value: reports.Float(float64(most)), Limit: reports.Float(float64(limit)), Unit: "statements"}
	for _, g := range groups {
		if g.Unread {
			c.Status = reports.Fail
			c.Message = fmt.Sprintf("the answers %s were right with no data statement through the grader's proxy: the data is random for each grade, so the database was reached some other way (not through the grader's proxy)",
				firstNonEmpty(g.When, "to the timed requests"))
			return c
		}
	}
	notices := 0
	for _, g := range groups {
		notices = max(notices, g.Notices)
	}
	var noticed string
	if notices > 0 {
		noticed = fmt.Sprintf("; the server also sent %s in one request (work done row by row inside a statement shows only as notices, and is not counted as statements)", reports.Count(notices, "notice"))
	}
	if most > limit {
		c.Status = reports.Fail
		if when != "" {
			when = " " + when
		}
		c.Message = fmt.Sprintf("%s in one request%s; the limit is %d", reports.Count(most, "data statement"), when, limit) + noticed
		return c
	}
	c.Message = fmt.Sprintf("at most %d data %s per request (limit %d)", most, plural(most, "statement", "statements"), limit) + noticed
	return c
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
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

// Bursts cuts a trace into bursts of activity, for when requests cannot be
// seen: statements in the order they started, a new burst beginning when
// one starts more than gap after everything before it had ended. With gap
// 0 or less the whole trace is one burst.
func Bursts(stmts []proxy.Statement, gap time.Duration) [][]proxy.Statement {
	sorted := slices.Clone(stmts)
	slices.SortStableFunc(sorted, func(a, b proxy.Statement) int { return a.Start.Compare(b.Start) })
	var out [][]proxy.Statement
	var end time.Time
	for i, s := range sorted {
		if i == 0 || (gap > 0 && s.Start.Sub(end) > gap) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
		if e := s.Start.Add(s.Duration); e.After(end) {
			end = e
		}
	}
	return out
}

// Listing writes a request's data statements numbered in the order they
// ran, the way Django's assertNumQueries does on failure, with repeats
// collapsed: a run of one shape, or of a few shapes in turn (A B A B),
// becomes one entry "×100". Statements that ran once show their SQL as
// sent; collapsed ones their shape. Control statements are counted apart,
// by shape, as the card's table of shapes names them ("and 1 control
// statement, counted apart: begin"); the statements that read only the
// system catalogs (a driver's or an ORM's overhead, not counted) are listed
// after the data statements, by shape.
func Listing(stmts []proxy.Statement) string {
	var data, catalog []proxy.Statement
	for _, s := range stmts {
		switch {
		case s.Data:
			data = append(data, s)
		case s.Catalog:
			catalog = append(catalog, s)
		}
	}
	fps := fingerprints(data)
	nplus1 := map[string]bool{}
	for _, sh := range Shapes(data) {
		nplus1[sh.Fingerprint] = sh.NPlusOne
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d data %s", len(data), plural(len(data), "statement", "statements"))
	if control := len(stmts) - len(data) - len(catalog); control > 0 {
		var ctl []proxy.Statement
		for _, s := range stmts {
			if !s.Data && !s.Catalog {
				ctl = append(ctl, s)
			}
		}
		var shapes []string
		for _, sh := range Shapes(ctl) {
			name := short(sh.Normalized)
			if sh.Count > 1 {
				name += fmt.Sprintf(" ×%d", sh.Count)
			}
			shapes = append(shapes, name)
		}
		fmt.Fprintf(&b, " (and %d control %s, counted apart: %s)", control, plural(control, "statement", "statements"), strings.Join(shapes, ", "))
	}
	b.WriteString(":\n")
	for i := 0; i < len(data); {
		period, reps := repeat(fps, i)
		if reps == 1 {
			fmt.Fprintf(&b, "%7s  %s%s\n", fmt.Sprintf("%d.", i+1), short(oneLine(data[i].SQL)), rowNote(data[i:i+1]))
			i++
			continue
		}
		lead := fmt.Sprintf("%7s  ×%d  ", fmt.Sprintf("%d-%d.", i+1, i+period*reps), reps)
		for j := 0; j < period; j++ {
			var runs []proxy.Statement
			for r := 0; r < reps; r++ {
				runs = append(runs, data[i+r*period+j])
			}
			flag := ""
			if nplus1[fps[i+j]] {
				flag = "  [N+1]"
			}
			fmt.Fprintf(&b, "%s%s%s%s\n", lead, short(sqlshape.Normalize(data[i+j].SQL)), rowNote(runs), flag)
			lead = strings.Repeat(" ", utf8.RuneCountInString(lead))
		}
		i += period * reps
	}
	if len(catalog) > 0 {
		fmt.Fprintf(&b, "and %d driver overhead %s, reading only the system catalogs, not counted:\n", len(catalog), plural(len(catalog), "statement", "statements"))
		for _, sh := range Shapes(catalog) {
			count := ""
			if sh.Count > 1 {
				count = fmt.Sprintf("×%d  ", sh.Count)
			}
			fmt.Fprintf(&b, "         %s%s\n", count, short(oneLine(sh.Example)))
		}
	}
	return b.String()
}

// repeat finds, at i, the run of repeats covering the most statements: a
// period of 1 to 4 shapes repeated reps times (reps 1: no repeat).
func repeat(fps []string, i int) (period, reps int) {
	period, reps = 1, 1
	for p := 1; p <= 4 && i+2*p <= len(fps); p++ {
		r := 1
		for i+(r+1)*p <= len(fps) && slices.Equal(fps[i:i+p], fps[i+r*p:i+(r+1)*p]) {
			r++
		}
		if r > 1 && p*r > period*reps && (p == 1 || distinct(fps[i:i+p])) {
			period, reps = p, r
		}
	}
	return period, reps
}

func distinct(s []string) bool {
	return len(slices.Compact(slices.Sorted(slices.Values(s)))) == len(s)
}

// rowNote says how many rows statements returned: " -- 100 rows", or for
// several " -- 1 row each", " -- 130 rows in all".
func rowNote(runs []proxy.Statement) string {
	var total int64
	same := true
	for _, s := range runs {
		total += s.Rows
		same = same && s.Rows == runs[0].Rows
	}
	plural := func(n int64) string {
		if n == 1 {
			return "1 row"
		}
		return fmt.Sprintf("%d rows", n)
	}
	switch {
	case len(runs) == 1:
		return "  -- " + plural(total)
	case same:
		return "  -- " + plural(runs[0].Rows) + " each"
	}
	return "  -- " + plural(total) + " in all"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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

// Scaling checks that the data statements per request do not grow with the
// data (no size may need more statements than the smallest) and stay within
// limit at every size.
func Scaling(per []reports.SizeStatements, limit int) reports.Check {
	c := reports.Check{Name: "scaling", Status: reports.Pass, Unit: "statements"}
	var parts []string
	grows, over := false, false
	for i, p := range per {
		parts = append(parts, fmt.Sprintf("%d at %d rows", p.Statements, p.Size))
		grows = grows || (i > 0 && p.Statements > per[0].Statements)
		over = over || p.Statements > limit
	}
	most := slices.MaxFunc(per, func(a, b reports.SizeStatements) int { return a.Statements - b.Statements })
	c.Value, c.Limit = reports.Float(float64(most.Statements)), reports.Float(float64(min(per[0].Statements, limit)))
	var why []string
	if grows {
		why = append(why, "grows with the data")
	}
	if over {
		why = append(why, fmt.Sprintf("is over the limit of %d", limit))
	}
	if len(why) == 0 {
		c.Message = "the statement count does not grow with the data: " + strings.Join(parts, ", ")
		return c
	}
	c.Status = reports.Fail
	c.Message = "the statement count " + strings.Join(why, " and ") + ": " + strings.Join(parts, ", ")
	return c
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

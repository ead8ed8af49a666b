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
	"strings"
	"time"
	"unicode"

	"github.com/nplus1/nplus1/grader/proxy"
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

// serverError reports whether a request was answered with a 5xx status:
// the program's own output then says why, not its body.
func serverError(reqs []Request) bool {
	return slices.ContainsFunc(reqs, func(r Request) bool { return r.Response.Status >= 500 })
}

// OutputTail quotes the last n distinct lines of a program's output for a
// message, escaped as a snippet ("" when there are none): without the
// HTTP access log's lines, which say only what the grader sent, and
// without the time a logger put first, so that an error repeated for
// every request is quoted once.
func OutputTail(output string, n int) string {
	var lines []string
	seen := map[string]bool{}
	all := strings.Split(output, "\n")
	for i := len(all) - 1; i >= 0 && len(lines) < n; i-- {
		l := strings.TrimSpace(logPrefix.ReplaceAllString(all[i], ""))
		if l == "" || accessLog.MatchString(l) || seen[l] {
			continue
		}
		seen[l] = true
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return ""
	}
	slices.Reverse(lines)
	return "; the last of its output: " + snippetN([]byte(strings.Join(lines, "; ")), 600)
}

// logPrefix is what loggers put before a line: the client and time of
// Python's http.server and WEBrick ("127.0.0.1 - - [03/Dec/2026 14:09:34] "),
// the time of Go's log package ("2026/12/03 14:09:34 "), an ISO time.
var logPrefix = regexp.MustCompile(`^\s*(\S+ - - )?\[[^\]]*\] |^\s*\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z? `)

// accessLog matches a line of an HTTP server's access log.
var accessLog = regexp.MustCompile(`"[A-Z]+ \S+ HTTP/[0-9.]+" \d{3}`)

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

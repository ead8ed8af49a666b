package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func names() []string {
	var out []string
	for n := range fixtures() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func TestGoldenMarkdown(t *testing.T) {
	for _, n := range names() {
		golden(t, n+".md", []byte(Markdown(fixtures()[n])))
	}
}

func TestGoldenBadge(t *testing.T) {
	for _, n := range names() {
		c := fixtures()[n]
		golden(t, n+".badge.svg", []byte(BadgeSVG(c)))
		golden(t, n+".shields.json", ShieldsJSON(c))
	}
}

func TestGoldenJUnit(t *testing.T) {
	for _, n := range names() {
		out, err := JUnit(fixtures()[n])
		if err != nil {
			t.Fatal(err)
		}
		golden(t, n+".junit.xml", out)
		var v struct{}
		if err := xml.Unmarshal(out, &v); err != nil {
			t.Errorf("%s: not well-formed XML: %v", n, err)
		}
	}
}

func TestGoldenGradescope(t *testing.T) {
	for _, n := range names() {
		out, err := Gradescope(fixtures()[n], GradescopeOptions{MaxScore: 10})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, n+".gradescope.json", out)
	}
}

func TestGoldenClassroom(t *testing.T) {
	for _, n := range names() {
		enc, err := Classroom(fixtures()[n], 10)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatalf("%s: result is not base64: %v", n, err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		golden(t, n+".classroom.json", pretty.Bytes())
	}
}

func TestJUnitHoldsAnyOutput(t *testing.T) {
	c := nobuildCard()
	c.Output = "\x1b[31mred\x1b[0m ]]> <tag> & \x00 done"
	out, err := JUnit(c)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Suite struct {
			Cases []struct {
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &v); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, out)
	}
	if f := v.Suite.Cases[0].Failure; f == nil || !strings.Contains(f.Text, "\uFFFD[31mred\uFFFD[0m ]]> <tag> & \uFFFD done") {
		t.Errorf("failure text = %+v", f)
	}
}

// What a solution answered shows in result.md as written, never as markup
// (result.md also goes to GitHub's step summary).
func TestMarkdownShowsMessagesAsWritten(t *testing.T) {
	c := nobuildCard()
	c.Checks[0].Message = "body: <img src=x> **bold** [click](http://x) | a_b `c` & \\ ~~s~~ !x"
	c.Checks[1].Message = "one\rtwo\r\nthree"
	c.PortfolioLine = "" // written anew from the messages above
	md := Markdown(c)
	if !strings.Contains(md, "| one<br>two<br>three |") {
		t.Errorf("a carriage return is not kept inside its table cell:\n%s", md)
	}
	want := `body: \<img src=x\> \*\*bold\*\* \[click\](http://x) \| a\_b \` + "`" + `c\` + "`" + ` \& \\ \~\~s\~\~ \!x`
	if !strings.Contains(md, want) {
		t.Errorf("result.md does not hold the message escaped:\nwant %s\n%s", want, md)
	}
	// Nor in the portfolio line above the checks, which quotes the failure.
	if !strings.Contains(md, "> Not solved yet (failed: build): "+want) || strings.Contains(strings.ReplaceAll(md, `\<`, ""), "<img") {
		t.Errorf("the quoted line is not escaped:\n%s", md)
	}
}

// A card of a grade that stopped before anything was known (no challenge,
// no seed) still has a title and a reproduce line that runs.
func TestMarkdownOfABareCard(t *testing.T) {
	c := &Card{SchemaVersion: SchemaVersion, Tool: Tool{Name: "nplus1"}, Solution: Solution{Path: "my work/sol"}, Verdict: Error, Error: "no such directory"}
	md := Markdown(c)
	for _, want := range []string{"# nplus1 grade: ", "Reproduce: `nplus1 grade 'my work/sol'`."} {
		if !strings.Contains(md, want) {
			t.Errorf("result.md lacks %q:\n%s", want, md)
		}
	}
}

func TestPortfolioLine(t *testing.T) {
	tests := []struct {
		card *Card
		want string
	}{
		{passCard(), "Replaced the per-order user lookup with a single JOIN, reducing 101 queries to 1 and p95 latency from 599 ms to 6.3 ms (5 ms simulated network round trip)."},
		{batchedCard(), "Solved Orders and their users with 2 queries using a batched = ANY lookup: 2 queries per request, p95 latency 14.2 ms (5 ms simulated network round trip)."},
		{failCard(), "Not solved yet (failed: statements, latency). Measured 101 queries per request (limit 2) and p95 latency 599 ms (budget 100 ms) at a 5 ms simulated network round trip."},
		{errorCard(), ""},
	}
	for _, tt := range tests {
		if got := tt.card.PortfolioLine; got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.card.Solution.Path, got, tt.want)
		}
	}
}

func TestTechniqueReadsTheStatements(t *testing.T) {
	tests := []struct {
		sql  []string
		want string
	}{
		{[]string{"SELECT o.id, u.name FROM orders o JOIN users u ON u.id = o.user_id"}, "JOIN"},
		{[]string{"SELECT id FROM orders", "SELECT id, name FROM users WHERE id = ANY($1)"}, "batched ANY"},
		{[]string{"SELECT id FROM orders", "SELECT id, name FROM users WHERE id IN ($1, $2, $3)"}, "batched IN"},
		{[]string{"SELECT id FROM orders", "select * from users where id in (1,2,3)"}, "batched IN"},
		{[]string{"SELECT o.id, u.* FROM orders o CROSS JOIN LATERAL (SELECT name FROM users WHERE id = o.user_id) u"}, "LATERAL join"},
		{[]string{"SELECT o.id, json_agg(i) FROM orders o LEFT JOIN items i ON i.order_id = o.id GROUP BY o.id"}, "JOIN, JSON aggregation"},
		{[]string{"WITH recent AS (SELECT * FROM orders) SELECT r.id, row_number() OVER (PARTITION BY r.user_id) FROM recent r"}, "window function, CTE"},
		{[]string{"SELECT id, (SELECT name FROM users u WHERE u.id = o.user_id) FROM orders o"}, "subquery"},
		{[]string{"SELECT id FROM orders WHERE note = 'a join b'"}, ""},
		{[]string{"SELECT name FROM users WHERE id = $1"}, ""},
	}
	for _, tt := range tests {
		c := &Card{}
		for _, s := range tt.sql {
			c.Shapes = append(c.Shapes, Shape{Example: s, Normalized: strings.ToLower(s), Data: true})
		}
		c.Shapes = append(c.Shapes, Shape{Example: "SELECT 1 FROM a JOIN b ON true", Data: false}) // control statements are not read
		if got := Technique(c); got != tt.want {
			t.Errorf("Technique(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
	// The normalized text writes an IN list by its length.
	c := &Card{Shapes: []Shape{{Normalized: "select name from users where id in (...10)", Data: true}}}
	if got := Technique(c); got != "batched IN" {
		t.Errorf("Technique(in (...10)) = %q, want batched IN", got)
	}
}

func TestReplacedNamesTheRepeatedLookup(t *testing.T) {
	tests := []struct {
		fs   []Finding
		want string
	}{
		{[]Finding{starterFinding()}, "the per-order user lookup"},
		{[]Finding{{Normalized: "select * from public.categories where id = ?", Source: "select * from products"}}, "the per-product category lookup"},
		{[]Finding{{Normalized: "select * from users where id = ?", Source: "select * from orders"}, {Normalized: "select * from order_items where order_id = ?"}}, "the per-order user and order item lookups"},
		{nil, "the N+1 queries"},
	}
	for _, tt := range tests {
		if got := replaced(tt.fs); got != tt.want {
			t.Errorf("replaced(%v) = %q, want %q", tt.fs, got, tt.want)
		}
	}
}

func TestBadgeWidthsGrowWithTheText(t *testing.T) {
	// shields.io draws "build | passing" 37 + 51 px wide.
	if l, m := oddWidth("build")+10, oddWidth("passing")+10; l != 37 || m != 51 {
		t.Errorf("build|passing = %d|%d, want 37|51 as shields.io", l, m)
	}
	for _, s := range []string{"W", "WWW", "iii", "€uro ünïcødé 日本", strings.Repeat("a very long message ", 10)} {
		b := Badge("label", s, colorFail)
		total := oddWidth("label") + oddWidth(s) + 20
		if !strings.Contains(b, `<svg xmlns="http://www.w3.org/2000/svg" width="`+itoa(total)+`"`) ||
			!strings.Contains(b, `textLength="`+itoa(10*oddWidth(s))+`"`) {
			t.Errorf("badge for %q: want width %d and textLength %d:\n%s", s, total, 10*oddWidth(s), b)
		}
	}
	if oddWidth("WWW") <= oddWidth("iii") {
		t.Errorf("WWW is not wider than iii")
	}
	if TextWidth("日本") <= TextWidth("ab") {
		t.Errorf("characters outside the table must not be narrower than ASCII letters")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWriteWritesTheBadges(t *testing.T) {
	dir := t.TempDir()
	c := passCard()
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"result.json", "result.md", "badge.svg", "badge.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	var s Shields
	b, _ := os.ReadFile(filepath.Join(dir, "badge.json"))
	if err := json.Unmarshal(b, &s); err != nil || s.SchemaVersion != 1 || s.Color != "brightgreen" || s.Message != "pass · 1 query (was 101)" {
		t.Errorf("badge.json = %s (%v)", b, err)
	}
	back, err := ReadCard(filepath.Join(dir, "result.json"))
	if err != nil || back.Technique != "JOIN" || back.PortfolioLine != c.PortfolioLine {
		t.Errorf("read back: %v %+v", err, back)
	}
}

func TestSharesAddUp(t *testing.T) {
	for _, n := range []int{1, 2, 3, 6, 7} {
		sum := 0.0
		for _, s := range shares(10, n) {
			sum += s
		}
		if sum < 9.999 || sum > 10.001 {
			t.Errorf("shares(10, %d) add up to %v", n, sum)
		}
	}
}

func TestStepSummaryAndOutputAppend(t *testing.T) {
	dir := t.TempDir()
	sum := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(sum, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendStepSummary(sum, passCard()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(sum)
	if !strings.HasPrefix(string(b), "earlier step\n# Orders and their users") || !strings.Contains(string(b), "## Before → after") {
		t.Errorf("summary:\n%s", b)
	}
	out := filepath.Join(dir, "output")
	if err := AppendGitHubOutput(out, "result", "abc"); err != nil {
		t.Fatal(err)
	}
	if err := AppendGitHubOutput(out, "line", "two\nlines"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(out)
	if want := "result=abc\nline<<NPLUS1_EOF\ntwo\nlines\nNPLUS1_EOF\n"; string(b) != want {
		t.Errorf("output = %q, want %q", b, want)
	}
}

// A card whose verdict is error says why in its error, even when only a
// check said so: "see error" is what the card's readers are told.
func TestDecideNamesTheErroredCheck(t *testing.T) {
	c := &Card{Checks: []Check{{Name: "correct", Status: Error, Message: "the challenge's expected response is not JSON"}, {Name: "latency", Status: Pass}}}
	c.Decide()
	if c.Verdict != Error || c.Error != "the correct check could not be made: the challenge's expected response is not JSON" {
		t.Errorf("verdict %s, error %q", c.Verdict, c.Error)
	}
}

// The portfolio's title shows as written in Markdown too.
func TestPortfolioMarkdownTitleAsWritten(t *testing.T) {
	p := NewPortfolio([]*Card{passCard()}, PortfolioOptions{Title: "<b>x</b> | y"})
	if md := p.Markdown(); !strings.HasPrefix(md, `# \<b\>x\</b\> \| y`) {
		t.Errorf("title not escaped:\n%s", md)
	}
}

// A wrong answer's badge never reads like a win: red, "wrong answer", not
// the few statements it made; the count shows only when it is what failed.
func TestBadgeOfAWrongAnswer(t *testing.T) {
	stale := wrongCard()
	stale.Checks[0] = Check{Name: "correct", Status: Pass, Message: "all 5 responses match the expected JSON"}
	stale.Checks = append(stale.Checks, Check{Name: "fresh", Status: Fail, Message: "after the grader changed the data between two requests, the response stayed the same (is it cached?)"})
	slow := passCard()
	slow.Verdict = Fail
	slow.Checks[2].Status = Fail
	writer := passCard()
	writer.Verdict = Fail
	writer.Checks = append(writer.Checks, Check{Name: "read-only", Status: Fail, Message: "1 UPDATE"})
	tests := []struct {
		name string
		card *Card
		want string
	}{
		{"wrong", wrongCard(), "fail · wrong answer"},
		{"stale after a change of the data", stale, "fail · wrong answer"},
		{"too slow", slow, "fail · too slow"},
		{"writes", writer, "fail · writes data"},
		{"too many statements", failCard(), "fail · 101 queries"},
		{"pass", passCard(), "pass · 1 query (was 101)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Shields
			if err := json.Unmarshal(ShieldsJSON(tt.card), &s); err != nil {
				t.Fatal(err)
			}
			wantColor := "red"
			if tt.card.Verdict == Pass {
				wantColor = "brightgreen"
			}
			if s.Message != tt.want || s.Color != wantColor {
				t.Errorf("badge.json says %q in %s, want %q in %s", s.Message, s.Color, tt.want, wantColor)
			}
			svg := BadgeSVG(tt.card)
			if !strings.Contains(svg, ">"+tt.want+"</text>") || (wantColor == "red") != strings.Contains(svg, colorFail) {
				t.Errorf("badge.svg does not say %q in %s:\n%s", tt.want, wantColor, svg)
			}
		})
	}
	if line := wrongCard().PortfolioLine; !strings.HasPrefix(line, "Not solved yet (failed: correct): the answers were wrong: request 1:") || strings.Contains(line, "query") {
		t.Errorf("portfolio line of a wrong answer = %q", line)
	}
}

// The statements that read only the system catalogs are listed apart in
// result.md, with how many there were, and marked in the table of shapes;
// a card without them says nothing of them.
func TestMarkdownListsDriverOverhead(t *testing.T) {
	c := passCard()
	if strings.Contains(Markdown(c), "Driver overhead") {
		t.Errorf("a card without overhead mentions it:\n%s", Markdown(c))
	}
	attrs := Shape{Fingerprint: "0a1b2c3d4e5f6071", Normalized: "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a where a.attrelid = ?::regclass", Count: 2, Rows: 6, Catalog: true}
	version := Shape{Fingerprint: "1a1b2c3d4e5f6071", Normalized: "select pg_catalog.version()", Count: 1, Rows: 1, Catalog: true}
	c.Overhead = []Shape{attrs, version}
	c.Metrics.CatalogStatements = 3
	c.Shapes = append(c.Shapes, attrs)
	md := Markdown(c)
	for _, want := range []string{
		"Driver overhead, listed apart and not counted against the limit: 3 statements that read only the system catalogs, in all the requests: `select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a where a.attrelid = ?::regclass` ×2, `select pg_catalog.version()`.\n",
		"| 2 | 6 | `select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a where a.attrelid = ?::regclass` (driver overhead, not counted) |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("result.md lacks %q:\n%s", want, md)
		}
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"overhead":[{`, `"catalog":true`, `"catalog_statements":3`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the card's JSON lacks %s:\n%s", want, js)
		}
	}
}

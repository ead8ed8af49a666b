package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LoadCards reads cards from paths: a file is read as a card; a directory
// is searched, recursively, for files named result.json, those kept in
// card directories' histories too (see HistoryDir). It fails on a path that
// does not exist, a file that is not a card, or when no card is found at
// all.
func LoadCards(paths ...string) ([]*Card, error) { return loadCards(false, paths) }

// LoadLatestCards is LoadCards without the cards kept in histories: the
// latest card of each card directory.
func LoadLatestCards(paths ...string) ([]*Card, error) { return loadCards(true, paths) }

func loadCards(latest bool, paths []string) ([]*Card, error) {
	var cards []*Card
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load cards: %w", err)
		}
		if !st.IsDir() {
			c, err := readCardChecked(p)
			if err != nil {
				return nil, err
			}
			cards = append(cards, c)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if latest && d.IsDir() && d.Name() == HistoryDir && path != p && isFile(filepath.Join(filepath.Dir(path), "result.json")) {
				return filepath.SkipDir
			}
			if d.IsDir() || d.Name() != "result.json" {
				return nil
			}
			c, err := readCardChecked(path)
			if err != nil {
				return err
			}
			cards = append(cards, c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load cards from %s: %w", p, err)
		}
	}
	if len(cards) == 0 {
		return nil, fmt.Errorf("load cards: no result.json under %s", strings.Join(paths, ", "))
	}
	return cards, nil
}

func readCardChecked(path string) (*Card, error) {
	c, err := ReadCard(path)
	if err != nil {
		return nil, err
	}
	if c.SchemaVersion == 0 {
		return nil, fmt.Errorf("read card %s: not an nplus1 result card (no schema_version)", path)
	}
	if c.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("read card %s: schema version %d is newer than this nplus1 reads (%d): upgrade nplus1", path, c.SchemaVersion, SchemaVersion)
	}
	return c, nil
}

// Best keeps one card of each challenge, ordered by challenge title (then
// id): the most recently graded passing card; where none passed, the most
// recent failing one; else the most recent card (a grade the machine could
// not make). A later failed try (a starter graded again, an experiment)
// does not hide a pass, nor a machine's error a learner's result. Of two
// cards graded at the same time the later one in cards wins. A card that
// names no challenge (its solution could not be set up: no directory, a
// malformed nplus1.yaml) is left out.
func Best(cards []*Card) []*Card {
	rank := map[string]int{Pass: 2, Fail: 1}
	by := map[string]*Card{}
	for _, c := range cards {
		if c.Challenge.ID == "" {
			continue
		}
		key := c.Challenge.ID + "\x00" + c.Solution.Language
		old, ok := by[key]
		switch {
		case !ok || rank[c.Verdict] > rank[old.Verdict]:
			by[key] = c
		case rank[c.Verdict] == rank[old.Verdict] && !c.GradedAt.Before(old.GradedAt):
			by[key] = c
		}
	}
	out := make([]*Card, 0, len(by))
	for _, c := range by {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Challenge.Title != b.Challenge.Title {
			return a.Challenge.Title < b.Challenge.Title
		}
		if a.Challenge.ID != b.Challenge.ID {
			return a.Challenge.ID < b.Challenge.ID
		}
		return a.Solution.Language < b.Solution.Language
	})
	return out
}

// Portfolio is the summary of a learner's best cards, as portfolio.json
// holds it.
type Portfolio struct {
	SchemaVersion int    `json:"schema_version"`
	Title         string `json:"title"`
	// Name and Link are the learner's name and the address of their code,
	// when given.
	Name       string `json:"name,omitempty"`
	Link       string `json:"link,omitempty"`
	Tool       Tool   `json:"tool"`
	Challenges int    `json:"challenges"`
	// EachCard marks a batch's summary: an entry per card, each naming its
	// solution (see PortfolioOptions.EachCard); Solutions is their number.
	EachCard  bool             `json:"each_card,omitempty"`
	Solutions int              `json:"solutions,omitempty"`
	Passed    int              `json:"passed"`
	Entries   []PortfolioEntry `json:"entries"`
}

// PortfolioEntry is one challenge in a Portfolio.
type PortfolioEntry struct {
	// Solution is the graded directory as the card names it; set with
	// EachCard only.
	Solution    string    `json:"solution,omitempty"`
	ChallengeID string    `json:"challenge_id"`
	Title       string    `json:"title"`
	Verdict     string    `json:"verdict"`
	GradedAt    time.Time `json:"graded_at"`
	Language    string    `json:"language,omitempty"`
	Technique   string    `json:"technique,omitempty"`
	Line        string    `json:"line,omitempty"`
	// Failed names the checks that failed, in the card's order.
	Failed          []string `json:"failed,omitempty"`
	Error           string   `json:"error,omitempty"`
	MaxStatements   int      `json:"max_statements"`
	P95BudgetMS     float64  `json:"p95_budget_ms"`
	RTTMS           float64  `json:"rtt_ms"`
	Seed            int64    `json:"seed"`
	PostgresVersion string   `json:"postgres_version,omitempty"`
	SolutionDigest  string   `json:"solution_digest"`
	ChallengeDigest string   `json:"challenge_digest"`
	ToolVersion     string   `json:"tool_version"`
	// SignedBy is the key id of the card's signature, when it has one and
	// its content is as signed; Signature says how far that was checked:
	// "verified" (against PortfolioOptions.Key), "unverified" (no key
	// given: the content matches what the signature covers, but only a key
	// tells the signature is genuine), or what is wrong ("edited after
	// signing", ...), SignedBy then being empty.
	SignedBy  string   `json:"signed_by,omitempty"`
	Signature string   `json:"signature,omitempty"`
	After     *Figures `json:"after,omitempty"`
	Before    *Figures `json:"before,omitempty"`
	// SQL is what the solution ran in its busiest request, one example
	// of each data statement's shape: the fix, for a passing card.
	SQL []string `json:"sql,omitempty"`
	// Timelines are one request's statements on a time axis, before and
	// after, for a card that shows them (see HasTimeline).
	Timelines *EntryTimelines `json:"timelines,omitempty"`
}

// EntryTimelines are the starter's and the solution's busiest request.
type EntryTimelines struct {
	Before *Timeline `json:"before"`
	After  *Timeline `json:"after"`
}

// Figures are the per-request figures of one measurement.
type Figures struct {
	Statements int     `json:"statements"`
	RoundTrips int     `json:"round_trips"`
	P50MS      float64 `json:"p50_ms"`
	P95MS      float64 `json:"p95_ms"`
}

func figures(m *Metrics) *Figures {
	if m == nil {
		return nil
	}
	return &Figures{Statements: m.Statements, RoundTrips: m.RoundTrips, P50MS: m.Latency.P50, P95MS: m.Latency.P95}
}

// PortfolioOptions name the page.
type PortfolioOptions struct {
	// Title of the page (default "N+1 fixes").
	Title string
	// Name and Link, when given, say whose fixes these are and where
	// their code is.
	Name, Link string
	// Version of the tool writing the export.
	Version string
	// EachCard makes an entry of every card, in the given order, naming its
	// solution: the summary of a batch or a class (cards merged from CI
	// shards, say) rather than a learner's one card per challenge.
	EachCard bool
	// Key, when set, is the public key the cards' signatures are verified
	// against; without it a signature is only checked against the card's
	// content.
	Key ed25519.PublicKey
}

// signatureCheck says who signed the card and how far that was checked
// (see PortfolioEntry.Signature).
func signatureCheck(c *Card, key ed25519.PublicKey) (signedBy, check string) {
	sig := c.Signature
	switch {
	case sig == nil:
		return "", ""
	case c.source == nil:
		return sig.KeyID, "unverified"
	case key != nil:
		if _, err := Verify(c.source, key); err != nil {
			return "", err.Error()
		}
		return sig.KeyID, "verified"
	}
	v, err := decodeJSON(c.source)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return "", "not a readable card"
	}
	delete(obj, "signature")
	sum := sha256.Sum256(canonical(obj))
	if "sha256:"+hex.EncodeToString(sum[:]) != sig.Canonical {
		return "", "edited after signing"
	}
	return sig.KeyID, "unverified"
}

// NewPortfolio summarizes cards, which should be one per challenge (see
// Best), in the given order.
func NewPortfolio(cards []*Card, o PortfolioOptions) *Portfolio {
	if o.Title == "" {
		o.Title = "N+1 fixes"
	}
	p := &Portfolio{SchemaVersion: 1, Title: o.Title, Name: o.Name, Link: o.Link, Tool: Tool{Name: "nplus1", Version: o.Version}, Challenges: len(cards), Entries: []PortfolioEntry{}}
	// A challenge counts once, whatever the languages it was solved in;
	// it passed when one of its cards did.
	ids, passed := map[string]bool{}, map[string]bool{}
	for _, c := range cards {
		id := c.Challenge.ID
		if id == "" {
			id = "\x00" + c.Solution.Path // an unknown challenge counts alone
		}
		ids[id] = true
		if c.Verdict == Pass {
			passed[id] = true
		}
	}
	p.Challenges, p.Passed = len(ids), len(passed)
	if o.EachCard {
		p.EachCard, p.Solutions, p.Passed = true, len(cards), 0
	}
	for _, c := range cards {
		e := PortfolioEntry{
			ChallengeID: c.Challenge.ID, Title: c.Challenge.Title, Verdict: c.Verdict, GradedAt: c.GradedAt.UTC(),
			Language: c.Solution.Language, Technique: c.Technique, Line: c.PortfolioLine, Error: c.Error,
			MaxStatements: c.Challenge.MaxStatements, P95BudgetMS: c.Challenge.P95BudgetMS,
			RTTMS: c.Environment.RTTMS, Seed: c.Environment.Seed, PostgresVersion: c.Environment.PostgresVersion,
			SolutionDigest: c.Solution.Digest, ChallengeDigest: c.Challenge.Digest, ToolVersion: c.Tool.Version,
			After: figures(c.Metrics),
		}
		if e.Title == "" {
			e.Title = c.Challenge.ID
		}
		if e.Title == "" {
			e.Title = "(unknown challenge)"
		}
		if e.Technique == "" {
			e.Technique = Technique(c)
		}
		if idioms := c.Solution.Idioms; len(idioms) > 0 && e.Technique != "" {
			e.Technique += " (" + strings.Join(idioms, ", ") + ")"
		}
		if e.Line == "" {
			e.Line = PortfolioLine(c)
		}
		if c.Baseline != nil {
			e.Before = figures(&c.Baseline.Metrics)
		}
		if o.EachCard {
			e.Solution = c.Solution.Path
		}
		for _, ch := range c.Checks {
			if ch.Status == Fail {
				e.Failed = append(e.Failed, ch.Name)
			}
		}
		e.SignedBy, e.Signature = signatureCheck(c, o.Key)
		if c.Verdict == Pass {
			for _, sh := range c.Shapes {
				if sh.Data && len(e.SQL) < 3 {
					e.SQL = append(e.SQL, strings.Join(strings.Fields(sh.Example), " "))
				}
			}
		}
		if HasTimeline(c) {
			e.Timelines = &EntryTimelines{Before: c.Baseline.Metrics.Timeline, After: c.Metrics.Timeline}
		}
		if o.EachCard && c.Verdict == Pass {
			p.Passed++
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

// JSON returns the portfolio as indented JSON with a final newline.
func (p *Portfolio) JSON() ([]byte, error) {
	b, err := marshalIndent(p)
	if err != nil {
		return nil, fmt.Errorf("portfolio json: %w", err)
	}
	return b, nil
}

// Markdown renders the portfolio for a GitHub profile README: a table of
// the challenges, in each language, and their before → after figures, then
// each one's line.
func (p *Portfolio) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", inline(p.Title))
	switch {
	case p.Name != "" && p.Link != "":
		fmt.Fprintf(&b, "By %s · [the code](%s)\n\n", inline(p.Name), p.Link)
	case p.Name != "":
		fmt.Fprintf(&b, "By %s\n\n", inline(p.Name))
	case p.Link != "":
		fmt.Fprintf(&b, "[The code](%s)\n\n", p.Link)
	}
	fmt.Fprintf(&b, "%s\n\n", p.summary())
	if p.EachCard {
		b.WriteString("| solution | challenge | language | result | queries per request | p95 latency | technique |\n|---|---|---|---|---:|---:|---|\n")
	} else {
		b.WriteString("| challenge | language | result | queries per request | p95 latency | technique |\n|---|---|---|---:|---:|---|\n")
	}
	for _, e := range p.Entries {
		q, l := "", ""
		if a := e.After; a != nil {
			q, l = fmt.Sprint(a.Statements), msText(a.P95MS)
			if bf := e.Before; bf != nil {
				q = fmt.Sprintf("%d → %d", bf.Statements, a.Statements)
				l = msText(bf.P95MS) + " → " + msText(a.P95MS)
			}
		}
		if p.EachCard {
			fmt.Fprintf(&b, "| %s ", cell(e.Solution))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(e.Title), cell(e.Language), cell(e.result()), q, l, cell(e.Technique))
	}
	b.WriteString("\n")
	for _, e := range p.Entries {
		if p.EachCard {
			break // the table says it all; a line per solution would drown it
		}
		text := e.Line
		if text == "" && e.Error != "" {
			text = "Could not be graded: " + e.Error
		}
		if text != "" {
			title := inline(e.Title)
			if e.Language != "" {
				title += " (" + inline(e.Language) + ")"
			}
			fmt.Fprintf(&b, "- **%s**: %s\n", title, cell(text))
		}
	}
	fmt.Fprintf(&b, "\n<sub>Graded by nplus1 %s on a real PostgreSQL; each figure is per request at the simulated network round trip it states.</sub>\n", p.Tool.Version)
	return b.String()
}

// result is the entry's verdict for a table cell, with the checks that
// failed and what its signature says, where it has one.
func (e PortfolioEntry) result() string { return e.resultAs(verdictMark(e.Verdict)) }

// resultAs is result with the verdict written as verdict: HTML writes it
// as a word, coloured, as a page may have no emoji font.
func (e PortfolioEntry) resultAs(verdict string) string {
	s := verdict
	if len(e.Failed) > 0 {
		s += " (" + strings.Join(e.Failed, ", ") + ")"
	}
	switch {
	case e.Signature == "verified":
		s += "; signed by key " + e.SignedBy + ", verified"
	case e.SignedBy != "":
		s += "; signed by key " + e.SignedBy + " (not verified: export --key)"
	case e.Signature != "":
		s += "; signature does not hold: " + e.Signature
	}
	return s
}

func (p *Portfolio) summary() string {
	if p.EachCard {
		return fmt.Sprintf("%d of %d solutions passed.", p.Passed, p.Solutions)
	}
	if p.Challenges == 1 {
		if p.Passed == 1 {
			return "1 challenge, passed."
		}
		return "1 challenge, not passed yet."
	}
	return fmt.Sprintf("%d of %d challenges passed.", p.Passed, p.Challenges)
}

// HTML renders the portfolio as one self-contained page: inline CSS, an
// inline SVG bar chart per challenge, no script and nothing fetched from
// elsewhere; it reads on a phone (viewport meta, a single column below
// 640px).
func (p *Portfolio) HTML() ([]byte, error) {
	type view struct {
		E        PortfolioEntry
		Chart    template.HTML
		Timeline template.HTML
		Rows     [][3]string
		Meta     []string
		Result   string
		Queries  string
		P95      string
	}
	var views []view
	for _, e := range p.Entries {
		v := view{E: e, Chart: template.HTML(chartSVG(e)), Result: e.resultAs(strings.ToUpper(e.Verdict))}
		if t := e.Timelines; t != nil {
			v.Timeline = template.HTML(TimelineSVG(t.Before, t.After))
		}
		if a := e.After; a != nil {
			v.Queries, v.P95 = fmt.Sprint(a.Statements), msText(a.P95MS)
			if bf := e.Before; bf != nil {
				v.Queries = fmt.Sprintf("%d → %d", bf.Statements, a.Statements)
				v.P95 = msText(bf.P95MS) + " → " + msText(a.P95MS)
			}
		}
		if a := e.After; a != nil {
			if bf := e.Before; bf != nil {
				v.Rows = [][3]string{
					{"Queries per request", fmt.Sprint(bf.Statements), fmt.Sprint(a.Statements)},
					{"Round trips per request", fmt.Sprint(bf.RoundTrips), fmt.Sprint(a.RoundTrips)},
					{"p50 latency", msText(bf.P50MS), msText(a.P50MS)},
					{"p95 latency", msText(bf.P95MS), msText(a.P95MS)},
				}
			} else {
				v.Rows = [][3]string{
					{"Queries per request", fmt.Sprintf("≤ %d", e.MaxStatements), fmt.Sprint(a.Statements)},
					{"Round trips per request", "", fmt.Sprint(a.RoundTrips)},
					{"p50 latency", "", msText(a.P50MS)},
					{"p95 latency", "≤ " + msText(e.P95BudgetMS), msText(a.P95MS)},
				}
			}
		}
		if len(e.Failed) > 0 {
			v.Meta = append(v.Meta, "failed: "+strings.Join(e.Failed, ", "))
		}
		v.Meta = append(v.Meta, "graded "+e.GradedAt.Format("2006-01-02"))
		if e.Language != "" {
			v.Meta = append(v.Meta, e.Language)
		}
		if e.Technique != "" {
			v.Meta = append(v.Meta, "technique: "+e.Technique)
		}
		v.Meta = append(v.Meta, fmt.Sprintf("%s simulated round trip", msText(e.RTTMS)), fmt.Sprintf("seed %d", e.Seed))
		if e.PostgresVersion != "" {
			v.Meta = append(v.Meta, "PostgreSQL "+strings.Fields(e.PostgresVersion)[0])
		}
		if e.SolutionDigest != "" {
			v.Meta = append(v.Meta, "solution "+shortDigest(e.SolutionDigest))
		}
		switch {
		case e.Signature == "verified":
			v.Meta = append(v.Meta, "signed by key "+e.SignedBy+", verified")
		case e.SignedBy != "":
			v.Meta = append(v.Meta, "signed by key "+e.SignedBy+" (not verified: export --key)")
		case e.Signature != "":
			v.Meta = append(v.Meta, "signature does not hold: "+e.Signature)
		}
		views = append(views, v)
	}
	var b bytes.Buffer
	err := portfolioPage.Execute(&b, struct {
		P       *Portfolio
		Summary string
		Views   []view
	}{p, p.summary(), views})
	if err != nil {
		return nil, fmt.Errorf("portfolio html: %w", err)
	}
	return b.Bytes(), nil
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return "sha256:" + d
}

// chartSVG draws the before → after bars of one entry (or, without a
// baseline, the solution's figures against the challenge's limits) as an
// inline SVG 320 units wide that scales to its box.
func chartSVG(e PortfolioEntry) string {
	a := e.After
	if a == nil {
		return ""
	}
	type bar struct {
		label string
		value float64
		text  string
		class string
	}
	type group struct {
		title string
		bars  []bar
		limit float64
		ltext string
	}
	afterClass := func(ok bool) string {
		if ok && e.Verdict == Pass {
			return "ok" // green only for a fix that passed
		}
		if ok {
			return "before" // within the limit, but the grade failed
		}
		return "bad"
	}
	qOK := a.Statements <= e.MaxStatements
	lOK := e.P95BudgetMS == 0 || a.P95MS <= e.P95BudgetMS
	var groups []group
	if bf := e.Before; bf != nil {
		groups = []group{
			{title: "Queries per request", bars: []bar{
				{"before", float64(bf.Statements), fmt.Sprint(bf.Statements), "before"},
				{"after", float64(a.Statements), fmt.Sprint(a.Statements), afterClass(qOK)},
			}},
			{title: "p95 latency", bars: []bar{
				{"before", bf.P95MS, msText(bf.P95MS), "before"},
				{"after", a.P95MS, msText(a.P95MS), afterClass(lOK)},
			}},
		}
	} else {
		groups = []group{
			{title: "Queries per request", bars: []bar{{"measured", float64(a.Statements), fmt.Sprint(a.Statements), afterClass(qOK)}},
				limit: float64(e.MaxStatements), ltext: fmt.Sprintf("limit %d", e.MaxStatements)},
			{title: "p95 latency", bars: []bar{{"measured", a.P95MS, msText(a.P95MS), afterClass(lOK)}},
				limit: e.P95BudgetMS, ltext: "budget " + msText(e.P95BudgetMS)},
		}
	}
	const x0, span, rowH = 64.0, 180.0, 22.0
	var b strings.Builder
	y := 0.0
	var body strings.Builder
	for _, g := range groups {
		y += 16
		fmt.Fprintf(&body, `<text class="t" x="0" y="%g">%s</text>`, y, template.HTMLEscapeString(g.title))
		y += 6
		top := y
		maxV := g.limit
		for _, br := range g.bars {
			maxV = math.Max(maxV, br.value)
		}
		if maxV <= 0 {
			maxV = 1
		}
		for _, br := range g.bars {
			w := math.Max(2, br.value/maxV*span)
			fmt.Fprintf(&body, `<text class="l" x="0" y="%g">%s</text>`, y+14, br.label)
			fmt.Fprintf(&body, `<rect class="%s" x="%g" y="%g" width="%.1f" height="16" rx="2"/>`, br.class, x0, y+2, w)
			fmt.Fprintf(&body, `<text class="v" x="%.1f" y="%g">%s</text>`, x0+w+4, y+14, template.HTMLEscapeString(br.text))
			y += rowH
		}
		if g.limit > 0 {
			lx := x0 + g.limit/maxV*span
			fmt.Fprintf(&body, `<line class="lim" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, lx, top, lx, y)
			fmt.Fprintf(&body, `<text class="lt" x="%.1f" y="%g">%s</text>`, lx, y+10, template.HTMLEscapeString(g.ltext))
			y += 12
		}
		y += 4
	}
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 320 %g" role="img" aria-label="%s">`, y, template.HTMLEscapeString(chartLabel(e)))
	b.WriteString(body.String())
	b.WriteString(`</svg>`)
	return b.String()
}

func chartLabel(e PortfolioEntry) string {
	a := e.After
	if bf := e.Before; bf != nil {
		return fmt.Sprintf("Queries per request %d before, %d after; p95 latency %s before, %s after", bf.Statements, a.Statements, msText(bf.P95MS), msText(a.P95MS))
	}
	return fmt.Sprintf("Queries per request %d (limit %d); p95 latency %s (budget %s)", a.Statements, e.MaxStatements, msText(a.P95MS), msText(e.P95BudgetMS))
}

var portfolioPage = template.Must(template.New("portfolio").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.P.Title}}</title>
<style>
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--before:#8c959f;--err:#9a6700}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:24px 16px 32px}
header h1{margin:0 0 4px;font-size:1.75rem}
header p{margin:0 0 20px;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
article{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;min-width:0}
article.pass{border-top:4px solid var(--ok)}
article.fail{border-top:4px solid var(--bad)}
article.error{border-top:4px solid var(--err)}
h2{margin:0 0 8px;font-size:1.2rem;display:flex;gap:8px;align-items:baseline;justify-content:space-between;flex-wrap:wrap}
.verdict{font-size:.75rem;font-weight:700;letter-spacing:.04em;padding:2px 8px;border-radius:999px;color:#fff;text-transform:uppercase;background:var(--err)}
.pass .verdict{background:var(--ok)}
.fail .verdict{background:var(--bad)}
.line{margin:0 0 12px}
.chart{display:block;width:100%;max-width:440px;height:auto;margin:0 0 8px}
.chart .t{font:600 12px system-ui,sans-serif;fill:var(--fg)}
.chart .l,.chart .v,.chart .lt{font:11px system-ui,sans-serif;fill:var(--muted)}
.chart .v{fill:var(--fg);font-weight:600}
.chart .before{fill:var(--before)}
.chart .ok{fill:var(--ok)}
.chart .bad{fill:var(--bad)}
.chart .lim{stroke:var(--fg);stroke-dasharray:3 2}
.chart .lt{text-anchor:middle}
table{width:100%;border-collapse:collapse;font-size:.9rem;margin:4px 0 10px}
th,td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
th{color:var(--muted);font-weight:600}
.meta{margin:0;color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}
.who{margin:0 0 4px;font-weight:600}
.timeline{margin:0 0 10px}.timeline svg{display:block;width:100%;height:auto;background:#fff;border-radius:6px}
.timeline figcaption{color:var(--muted);font-size:.75rem}
.sqlhead{margin:8px 0 4px;font-size:.85rem;color:var(--muted)}
pre.sql{margin:0 0 8px;padding:8px;background:var(--bg);border-radius:6px;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere}
table.each{background:var(--card)}table.each td,table.each th{text-align:left;white-space:normal}
table.each tr.pass td:nth-child(4){color:var(--ok)}table.each tr.fail td:nth-child(4){color:var(--bad)}table.each tr.error td:nth-child(4){color:var(--err)}
footer{margin-top:24px;color:var(--muted);font-size:.8rem}
@media (max-width:640px){.cards{grid-template-columns:1fr}main{padding:16px 12px 24px}header h1{font-size:1.4rem}}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--ok:#3fb950;--bad:#f85149;--before:#656c76;--err:#d29922}}
</style>
</head>
<body>
<main>
<header>
<h1>{{.P.Title}}</h1>
{{if or .P.Name .P.Link}}<p class="who">{{if .P.Name}}{{.P.Name}}{{end}}{{if and .P.Name .P.Link}} · {{end}}{{if .P.Link}}<a href="{{.P.Link}}">the code</a>{{end}}</p>{{end}}
<p>{{.Summary}} Each grade ran the solution against a real PostgreSQL with every SQL statement traced, at a simulated network round trip.</p>
</header>
{{if .P.EachCard}}<table class="each">
<thead><tr><th>solution</th><th>challenge</th><th>language</th><th>result</th><th>queries per request</th><th>p95 latency</th><th>technique</th></tr></thead>
<tbody>{{range .Views}}<tr class="{{.E.Verdict}}"><td>{{.E.Solution}}</td><td>{{.E.Title}}</td><td>{{.E.Language}}</td><td>{{.Result}}{{if .E.Error}}: {{.E.Error}}{{end}}</td><td>{{.Queries}}</td><td>{{.P95}}</td><td>{{.E.Technique}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<div class="cards">
{{range .Views}}<article class="{{.E.Verdict}}" id="{{.E.ChallengeID}}{{if .E.Language}}-{{.E.Language}}{{end}}">
<h2><span>{{.E.Title}}{{if .E.Language}} · {{.E.Language}}{{end}}</span> <span class="verdict">{{.E.Verdict}}</span></h2>
{{if .E.Line}}<p class="line">{{.E.Line}}</p>{{else if .E.Error}}<p class="line">Could not be graded: {{.E.Error}}</p>{{end}}
{{if .Timeline}}<figure class="timeline">{{.Timeline}}<figcaption>One request's statements on a time axis, as the proxy saw them: the starter before, this fix after.</figcaption></figure>{{end}}
{{.Chart}}
{{if .Rows}}<table>
<thead><tr><th>per request</th><th>{{if .E.Before}}before{{else}}limit{{end}}</th><th>{{if .E.Before}}after{{else}}measured{{end}}</th></tr></thead>
<tbody>{{range .Rows}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>{{end}}</tbody>
</table>{{end}}
{{if .E.SQL}}<p class="sqlhead">The SQL of the fix:</p>{{range .E.SQL}}<pre class="sql"><code>{{.}}</code></pre>{{end}}{{end}}
<p class="meta">{{range $i, $m := .Meta}}{{if $i}} · {{end}}{{$m}}{{end}}</p>
</article>
{{end}}</div>
{{end}}<footer>Exported by nplus1 {{.P.Tool.Version}}. The cards behind this page are result.json files; a signed one can be checked with <code>nplus1 verify</code>.</footer>
</main>
</body>
</html>
`))

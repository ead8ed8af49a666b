package reports

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// portfolioCards are the cards of three challenges, one of them graded
// twice (the older, failing card must not show).
func portfolioCards() []*Card {
	old := failCard()
	old.GradedAt = gradedAt.Add(-48 * time.Hour)

	posts := base("solutions/posts-comments", "python", "sha256:9a8b7c6d5e4f30211203948576a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4")
	posts.Challenge = Challenge{ID: "posts-comments", Title: "Posts and their latest comments", Digest: "sha256:77aa", MaxStatements: 1, P95BudgetMS: 80}
	posts.GradedAt = gradedAt.Add(-24 * time.Hour)
	posts.Verdict = Pass
	posts.Checks = []Check{{Name: "correct", Status: Pass, Message: "ok"}, {Name: "statements", Status: Pass, Value: Float(1), Limit: Float(1), Unit: "statements", Message: "1"}}
	posts.Metrics = &Metrics{Statements: 1, RoundTrips: 1, Latency: LatencyMS{P50: 7.2, P95: 8.9, Max: 9}}
	posts.Shapes = []Shape{{Data: true, Count: 1, Rows: 50,
		Normalized: "select p.id, c.comments from posts as p cross join lateral (select json_agg(c) as comments from comments as c where c.post_id = p.id limit ?) as c",
		Example:    "SELECT p.id, c.comments FROM posts p CROSS JOIN LATERAL (SELECT json_agg(c) AS comments FROM comments c WHERE c.post_id = p.id LIMIT 3) c"}}
	posts.Baseline = &Baseline{Language: "python", Metrics: Metrics{Statements: 51, RoundTrips: 52, Latency: LatencyMS{P50: 301.5, P95: 322.4}},
		Findings: []Finding{{Normalized: "select * from comments where post_id = ? order by created_at desc limit ?", Source: "select id, title from posts"}}}
	// One request's statements as the proxy timed them: a staircase of 51
	// round trips before, one statement after.
	staircase := &Timeline{TotalMS: 310}
	for i := 0; i < 51; i++ {
		staircase.Statements = append(staircase.Statements, Span{StartMS: 1 + float64(i)*6, DurationMS: 0.4, Data: true})
	}
	posts.Baseline.Metrics.Timeline = staircase
	posts.Metrics.Timeline = &Timeline{TotalMS: 8.2, Statements: []Span{{StartMS: 6.1, DurationMS: 1.1, Data: true}}}
	Annotate(&posts)

	authors := base("solutions/authors-books", "go", "sha256:3c4d")
	authors.Challenge = authorsBooks()
	authors.Verdict = Fail
	authors.Checks = []Check{{Name: "correct", Status: Fail, Message: "2 of 5 responses differ"}}
	authors.Metrics = &Metrics{Statements: 2, RoundTrips: 2, Latency: LatencyMS{P50: 11, P95: 12.5}}
	Annotate(&authors)

	return []*Card{passCard(), old, &posts, &authors}
}

func TestBestKeepsTheNewestPassPerChallenge(t *testing.T) {
	verdicts := func(cards []*Card) string {
		var ids []string
		for _, c := range cards {
			ids = append(ids, c.Challenge.ID+":"+c.Verdict)
		}
		return strings.Join(ids, " ")
	}
	cards := portfolioCards()
	if got, want := verdicts(Best(cards)), "authors-books:fail orders-users:pass posts-comments:pass"; got != want {
		t.Errorf("Best = %v, want %s", got, want)
	}
	// The starter graded after the pass: the pass still shows.
	later := failCard()
	later.GradedAt = gradedAt.Add(time.Hour)
	if got, want := verdicts(Best(append(cards, later))), "authors-books:fail orders-users:pass posts-comments:pass"; got != want {
		t.Errorf("Best with a later failure = %v, want %s", got, want)
	}
	// Where none passed, a machine's error does not hide a learner's fail.
	errored := base("x", "go", "sha256:00")
	errored.Challenge = authorsBooks()
	errored.Verdict, errored.GradedAt = Error, gradedAt.Add(3*time.Hour)
	if got, want := verdicts(Best(append(cards, &errored))), "authors-books:fail orders-users:pass posts-comments:pass"; got != want {
		t.Errorf("Best with a later error = %v, want %s", got, want)
	}
	// Of two passes, the newer.
	newer := passCard()
	newer.GradedAt = gradedAt.Add(2 * time.Hour)
	newer.Solution.Path = "newer"
	for _, c := range Best(append(cards, later, newer)) {
		if c.Challenge.ID == "orders-users" && c.Solution.Path != "newer" {
			t.Errorf("Best kept %s, want the newer pass", c.Solution.Path)
		}
	}
}

func TestGoldenPortfolio(t *testing.T) {
	p := NewPortfolio(Best(portfolioCards()), PortfolioOptions{Version: "v0.3.0"})
	golden(t, "portfolio.md", []byte(p.Markdown()))
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "portfolio.json", js)
	html, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "portfolio.html", html)
}

func TestPortfolioHTMLIsSelfContained(t *testing.T) {
	html, err := NewPortfolio(Best(portfolioCards()), PortfolioOptions{Version: "v0.3.0"}).HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href="} {
		if strings.Contains(strings.ToLower(s), bad) {
			t.Errorf("page holds %q: it must load nothing from elsewhere", bad)
		}
	}
	for _, want := range []string{`<meta name="viewport" content="width=device-width, initial-scale=1">`, "@media (max-width:640px)", "<svg class=\"chart\"",
		"Authors &amp; their &lt;books&gt;"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestLoadCards(t *testing.T) {
	dir := t.TempDir()
	for i, c := range portfolioCards() {
		if err := c.Write(filepath.Join(dir, "run", string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	cards, err := LoadCards(dir)
	if err != nil || len(cards) != 4 {
		t.Fatalf("LoadCards(dir) = %d cards, %v", len(cards), err)
	}
	one, err := LoadCards(filepath.Join(dir, "run", "a", "result.json"))
	if err != nil || len(one) != 1 {
		t.Fatalf("LoadCards(file) = %d, %v", len(one), err)
	}
	if _, err := LoadCards(filepath.Join(dir, "run", "a", "badge.json")); err == nil || !strings.Contains(err.Error(), "not an nplus1 result card") {
		t.Errorf("a badge read as a card: %v", err)
	}
	if _, err := LoadCards(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no result.json") {
		t.Errorf("empty dir: %v", err)
	}
}

// chromium returns the path of a headless-capable Chromium. Outside CI a
// machine without one skips; in CI (CI=true) that fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must render the portfolio (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI=true makes this a failure")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + t.TempDir(),
		"--no-first-run", "--disable-extensions", "--hide-scrollbars", "--disable-dev-shm-usage"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestPortfolioRendersInChromium renders the page as a desktop and as a
// phone would, and checks that the screenshots are not blank and the DOM
// holds the titles and figures.
func TestPortfolioRendersInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	html, err := NewPortfolio(Best(portfolioCards()), PortfolioOptions{Version: "v0.3.0", Name: "Ada Lovelace", Link: "https://example.com/ada/nplus1"}).HTML()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "portfolio.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom := string(runChromium(t, bin, "--dump-dom", url))
	for _, want := range []string{"Orders and their users", "Posts and their latest comments", "Authors &amp; their &lt;books&gt;",
		"Replaced the per-order user lookup with a single JOIN, reducing 101 queries to 1", "599 ms", "6.3 ms", "8.9 ms",
		"LATERAL join", "2 of 3 challenges passed.", "Ada Lovelace", `href="https://example.com/ada/nplus1"`,
		"The SQL of the fix:", "CROSS JOIN LATERAL", "before: 51 statements in 310 ms; after: 1 statement in 8.2 ms"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<svg class="chart"`).FindAllString(dom, -1)); n != 3 {
		t.Errorf("rendered DOM has %d charts, want 3", n)
	}

	for _, size := range []string{"1280,2000", "390,3600"} {
		shot := filepath.Join(dir, "shot-"+strings.Replace(size, ",", "x", 1)+".png")
		runChromium(t, bin, "--screenshot="+shot, "--window-size="+size, url)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot at %s: %v", size, err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("screenshot %s: %v", size, err)
		}
		colours := map[uint32]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 2 {
			for x := b.Min.X; x < b.Max.X; x += 2 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colours[r>>8<<16|g>>8<<8|bl>>8] = true
			}
		}
		if len(colours) < 50 {
			t.Errorf("screenshot %s has %d colours: the page looks blank", size, len(colours))
		}
		// The before → after picture is on the page: the starter's red
		// staircase and the fix's green bar.
		red, green := 0, 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				near := func(c uint32) bool { // within 20 of each channel of c
					d := func(a, b uint32) bool { return a+20 > b && b+20 > a }
					return d(r, c>>16) && d(g, c>>8&0xff) && d(bl, c&0xff)
				}
				switch {
				case near(0xd73a49): // the staircase, not the fail badge's #cf222e
					red++
				case near(0x2da44e): // the fix, not the pass badge's #1a7f37
					green++
				}
			}
		}
		t.Logf("screenshot %s: %d red pixels, %d green", size, red, green)
		if red < 30 || green < 10 {
			t.Errorf("screenshot %s lacks the timeline: %d red pixels (the staircase), %d green (the fix)", size, red, green)
		}
		if keep := os.Getenv("NPLUS1_KEEP_SCREENSHOTS"); keep != "" {
			b, _ := os.ReadFile(shot)
			if err := os.WriteFile(filepath.Join(keep, filepath.Base(shot)), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
}

func authorsBooks() Challenge {
	return Challenge{ID: "authors-books", Title: "Authors & their <books>", Digest: "sha256:88bb", MaxStatements: 2, P95BudgetMS: 100}
}

// A class's export (--each) is one plain table, a row per solution, which
// says why each failed.
func TestClassTableRendersInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	html, err := NewPortfolio(portfolioCards(), PortfolioOptions{Version: "v0.3.0", EachCard: true}).HTML()
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "class.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	if n := strings.Count(dom, "<table class=\"each\">"); n != 1 || strings.Contains(dom, "<article") {
		t.Fatalf("the class page is not one table (%d tables, articles: %v):\n%s", n, strings.Contains(dom, "<article"), dom)
	}
	rows := regexp.MustCompile(`<tr class="(pass|fail|error)">`).FindAllString(dom, -1)
	if len(rows) != len(portfolioCards()) {
		t.Errorf("%d rows, want one per card (%d)", len(rows), len(portfolioCards()))
	}
	for _, want := range []string{"solutions/authors-books", "FAIL (correct)", "101 → 1", "599 ms → 6.3 ms", "2 of 4 solutions passed."} {
		if !strings.Contains(dom, want) {
			t.Errorf("the class table lacks %q", want)
		}
	}
	// The screenshot shows a table: the passes' results in green, the
	// failures' in red.
	shot := filepath.Join(t.TempDir(), "class.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,800", "file://"+page)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ok, bad := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case r < 60 && g > 100 && g < 150 && bl < 80: // --ok, #1a7f37
				ok++
			case r > 180 && g < 60 && bl < 70: // --bad, #cf222e
				bad++
			}
		}
	}
	if ok < 20 || bad < 20 {
		t.Errorf("the class table's screenshot shows %d green and %d red pixels: the results are not coloured", ok, bad)
	}
	if keep := os.Getenv("NPLUS1_KEEP_SCREENSHOTS"); keep != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(keep, "class.png"), b, 0o644)
	}
}

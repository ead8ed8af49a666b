package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/reports"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"grade", "--help"}, {"challenges", "--help"}, {"challenges", "show", "--help"}, {"version", "--help"}} {
		code, out, _ := run(t, args...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("nplus1 %s: exit %d, want 0 and an Examples section:\n%s", strings.Join(args, " "), code, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "nplus1 ") {
		t.Errorf("version: exit %d, output %q", code, out)
	}
}

func TestChallenges(t *testing.T) {
	code, out, _ := run(t, "challenges", "list")
	if code != 0 || !strings.Contains(out, "orders-users") || !strings.Contains(out, "LANGUAGES") {
		t.Errorf("challenges list: exit %d:\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "orders-users ") && !strings.Contains(line, " django, go, gorm, hibernate, java, node, python, rails, sqlalchemy ") {
			t.Errorf("challenges list does not give orders-users's languages: %q", line)
		}
	}
	code, out, _ = run(t, "challenges", "show", "orders-users")
	if code != 0 || !strings.Contains(out, "GET /api/orders") || !strings.Contains(out, "at most 2 data statements") {
		t.Errorf("challenges show: exit %d:\n%s", code, out)
	}
	code, _, errOut := run(t, "challenges", "show", "nope")
	if code != exitUsage || !strings.Contains(errOut, "orders-users") {
		t.Errorf("challenges show nope: exit %d, stderr %q; want 2 listing the known ids", code, errOut)
	}
}

func TestGradeUsageErrors(t *testing.T) {
	t.Setenv("GITHUB_OUTPUT", "") // as outside GitHub Actions
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"grade"}, "one or more solution directories"},
		{[]string{"grade", "a", "b", "--junit", "x.xml"}, "--junit and --format take one solution"},
		{[]string{"grade", "a", "--format", "moodle"}, `--format "moodle"`},
		{[]string{"grade", "--bogus", "x"}, "unknown flag"},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--postgres", "cloud"}, `--postgres "cloud"`},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--postgres", "url"}, "needs --database-url"},
		{[]string{"grade", "does/not/exist", "--challenge", "orders-users"}, "does/not/exist"},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--challenge", "nope"}, "unknown challenge"},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--seed", "-4"}, "--seed -4 is out of range"},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--seed", "0"}, "--seed 0 is out of range: use 1 to 2147483647, or leave --seed out"},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--memory", "lots"}, `--memory "lots": give a size of at least 64MiB`},
		{[]string{"grade", "../../challenges/orders-users/reference/go", "--memory", "1m"}, `--memory "1m"`},
		{[]string{"grade", "a", "b", "--jobs", "0"}, "--jobs 0: grade 1 or more"},
		{[]string{"grade", "a", "--requests", "0"}, "--requests 0: give a number of 1 or more"},
		{[]string{"grade", "a", "--ready-timeout", "0s"}, "--ready-timeout 0s: give a duration of more than 0"},
		{[]string{"grade", "a", "--build-timeout", "-1s"}, "--build-timeout -1s"},
		{[]string{"grade", "a", "--junit", "no/such/dir/j.xml"}, "--junit no/such/dir/j.xml: its directory no/such/dir does not exist"},
		// No server is started for a batch with nothing to grade (the URL
		// would refuse the connection: exit 3).
		{[]string{"grade", "does/not/exist", "nor/this", "--database-url", "postgres://nobody:x@127.0.0.1:1/x"}, "does/not/exist"},
		{[]string{"grade", "does/not/exist", "--format", "classroom"}, "$GITHUB_OUTPUT, which is not set"},
	}
	for _, tt := range tests {
		code, stdout, errOut := run(t, append(tt.args, "--out", t.TempDir())...)
		if code != exitUsage || !strings.Contains(errOut+stdout, tt.want) {
			t.Errorf("nplus1 %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, stdout, errOut, tt.want)
		}
	}
	// An --out that cannot be a directory is said before anything starts.
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "grade", "../../challenges/orders-users/reference/go", "--out", file)
	if code != exitUsage || !strings.Contains(errOut, "--out "+file+": cannot make the card directory") {
		t.Errorf("--out a file: exit %d, stderr %q", code, errOut)
	}
	// The grader points at a setting; the command line spells it as its flag.
	noChallenge := t.TempDir()
	if err := os.WriteFile(filepath.Join(noChallenge, "main.py"), []byte("print()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "grade", noChallenge, "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(errOut, "which challenge? name it with --challenge ID or put `challenge: ID` in") {
		t.Errorf("no challenge named: exit %d, stderr %q", code, errOut)
	}
}

func TestGradeWritesTheCard(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "grade", "../../challenges/orders-users/reference/go", "--out", out, "--requests", "3", "--seed", "77")
	if code != exitPass {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var card reports.Card
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	if card.SchemaVersion != reports.SchemaVersion || card.Verdict != reports.Pass || card.Environment.Seed != 77 || card.Challenge.ID != "orders-users" {
		t.Errorf("card = %s", b)
	}
	md, err := os.ReadFile(filepath.Join(out, "result.md"))
	if err != nil || !strings.Contains(string(md), "PASS") {
		t.Errorf("result.md: %v\n%s", err, md)
	}
	// The card says how to get the same figures again: the seed, and the
	// request count that was not the challenge's.
	wantRepro := "Reproduce: `nplus1 grade ../../challenges/orders-users/reference/go --challenge orders-users --seed 77 --requests 3`"
	if !strings.Contains(string(md), wantRepro) {
		t.Errorf("result.md lacks %q:\n%s", wantRepro, md)
	}
	if !strings.Contains(stdout, "PASS") || !strings.Contains(stderr, "nplus1   | postgres: local") {
		t.Errorf("terminal output:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

func TestInitWritesTheStarterAndRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "solution")
	code, out, errOut := run(t, "init", "orders-users", dir, "--lang", "python")
	if code != 0 {
		t.Fatalf("init: exit %d: %s %s", code, out, errOut)
	}
	for _, name := range []string{"main.py", "nplus1.yaml", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("init did not write %s: %v", name, err)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(readme), "nplus1 grade .") {
		t.Errorf("README has no grade command:\n%s", readme)
	}
	os.WriteFile(filepath.Join(dir, "main.py"), []byte("# my work"), 0o644)
	code, _, errOut = run(t, "init", "orders-users", dir, "--lang", "python")
	if code != exitUsage || !strings.Contains(errOut, "already has") {
		t.Errorf("second init: exit %d, stderr %q; want 2 refusing to overwrite", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "main.py")); string(b) != "# my work" {
		t.Error("init overwrote the learner's main.py")
	}
	code, _, errOut = run(t, "init", "orders-users", t.TempDir(), "--lang", "cobol")
	if code != exitUsage || !strings.Contains(errOut, "go, gorm, hibernate, java, node, python, rails, sqlalchemy") {
		t.Errorf("init --lang cobol: exit %d, stderr %q", code, errOut)
	}
}

// Bad input and hostile solutions through the CLI: the exit code says
// whose fault it is, and a card is always written.
func TestGradeExitCodesAndCards(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		verdict string
		want    string // in the card's error or one of its checks' messages
	}{
		{"build fails", []string{"../../grader/testdata/hostile/buildfail"}, exitFail, reports.Fail, "undefined: notDeclared"},
		{"answers 500", []string{"../../grader/testdata/hostile/status500"}, exitFail, reports.Fail, "status 500"},
		{"no solution", []string{"does/not/exist", "--challenge", "orders-users"}, exitUsage, reports.Error, "does/not/exist"},
		{"no database", []string{"../../challenges/orders-users/reference/go", "--database-url", "postgres://nobody:x@127.0.0.1:1/x"}, exitGradeError, reports.Error, "connection refused"},
		{"negative size", []string{"../../challenges/orders-users/reference/go", "--size", "-3"}, exitUsage, reports.Error, "--size -3: give a number of 1 or more"},
		{"negative rtt", []string{"../../challenges/orders-users/reference/go", "--rtt", "-5ms"}, exitUsage, reports.Error, "--rtt -5ms"},
		{"no points", []string{"../../challenges/orders-users/reference/go", "--max-score", "-10", "--format", "gradescope"}, exitUsage, reports.Error, "--max-score -10"},
		{"bad memory", []string{"../../challenges/orders-users/reference/go", "--memory", "garbage"}, exitUsage, reports.Error, `--memory "garbage"`},
		{"bad url", []string{"../../challenges/orders-users/reference/go", "--database-url", "not a url"}, exitUsage, reports.Error, "--database-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := run(t, append(append([]string{"grade"}, tt.args...), "--out", out, "--requests", "3", "--no-baseline")...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			card, err := reports.ReadCard(filepath.Join(out, "result.json"))
			if err != nil {
				t.Fatalf("no card: %v", err)
			}
			text := card.Error
			for _, c := range card.Checks {
				text += "\n" + c.Message
			}
			if card.Verdict != tt.verdict || !strings.Contains(text, tt.want) {
				t.Errorf("card: verdict %s, messages %q; want %s with %q", card.Verdict, text, tt.verdict, tt.want)
			}
		})
	}
}

// Input that cannot be used exits 2 with a message naming it, whatever the
// command.
func TestOtherUsageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"init", "orders-users", file}, "write the starter"},
		{[]string{"keygen", "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "k")}, "keygen"},
		{[]string{"keygen", "-o", t.TempDir(), "--force"}, "is a directory: name the key file"},
		{[]string{"challenges", "validate", "nope"}, `unknown challenge "nope"`},
		{[]string{"challenges", "validate", "does/not/exist"}, "does/not/exist is neither a challenge directory nor a challenge id"},
		{[]string{"trace", "--gap", "-1s", "--", "true"}, "cannot be negative"},
		{[]string{"trace", "--challenge", "orders-users", "--size", "-5", "--", "true"}, "--size -5"},
		{[]string{"trace", "--seed", "5", "--", "true"}, "give --challenge too"},
		{[]string{"challenges", "validate", "orders-users", "--seed", "-2"}, "--seed -2 is out of range"},
		{[]string{"challenges", "validate", "orders-users", "--seed", "0"}, "--seed 0 is out of range"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("nplus1 %s: exit %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
		}
	}
}

func TestShellWords(t *testing.T) {
	got := reports.ShellWords([]string{"psql", "-c", "select count(*) from orders", "-c", "it's", "a=b", ""})
	want := `psql -c 'select count(*) from orders' -c 'it'\''s' a=b ''`
	if got != want {
		t.Errorf("shellWords = %s, want %s", got, want)
	}
}

// A signing key that cannot be used is refused without its value being
// written anywhere: it may be a mistyped secret, and cards are public.
func TestBadSigningKeyStaysSecret(t *testing.T) {
	secret := "c2VjcmV0LXRoYXQtaXMtbm90LWEta2V5"
	t.Setenv("NPLUS1_SIGNING_KEY", secret)
	out := t.TempDir()
	code, stdout, stderr := run(t, "grade", "../../challenges/orders-users/reference/go", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "NPLUS1_SIGNING_KEY is neither a base64 ed25519 key nor a readable key file") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, secret) {
			t.Errorf("%s holds the key's value: %q", name, text)
		}
	}
	for _, f := range []string{"result.json", "result.md"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatalf("no card: %v", err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the key's value", f)
		}
	}
}

// A challenge that fails validation exits 1, says the seed it used and how
// to repeat the run on the same data.
func TestValidateFailureNamesItsSeed(t *testing.T) {
	needLocalPostgres(t)
	dir := filepath.Join(t.TempDir(), "orders-users")
	if err := os.CopyFS(dir, os.DirFS("../../challenges/orders-users")); err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(dir, "seed.sql")
	b, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seed, append(b, "\nSELEC 1;\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "challenges", "validate", dir, "--seed", "4711", "--postgres", "local")
	for _, want := range []string{"seed 4711", "seed.sql:", `syntax error at or near "SELEC"`, "same data again: nplus1 challenges validate " + dir + " --postgres local --seed 4711"} {
		if code != exitFail || !strings.Contains(out, want) {
			t.Errorf("exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
		}
	}
}

// A batch's table keeps one word a verdict and names the checks a solution
// failed; why a solution could not be graded comes after it, and the count
// says how many were.
func TestBatchSummarySaysWhatWasNotGraded(t *testing.T) {
	needLocalPostgres(t)
	code, stdout, stderr := run(t, "grade", "does/not/exist", "../../grader/testdata/hostile/buildfail",
		"--challenge", "orders-users", "--no-baseline", "--requests", "3", "--postgres", "local", "--out", t.TempDir())
	for _, want := range []string{"\ndoes/not/exist  ", "  error  ", "  fail     build  ", "  not graded  ", "\nnot graded: does/not/exist: solution directory", "\ngraded 1 solution in ", "; 1 could not be graded (see above)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if code != exitUsage || t.Failed() {
		t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// The card's Reproduce command grades again on the same data under the same
// conditions: run as written, it gives the same data and counts.
func TestReproduceGivesTheSameGrade(t *testing.T) {
	needLocalPostgres(t)
	dir := filepath.Join(t.TempDir(), "orders-users")
	if err := os.CopyFS(dir, os.DirFS("../../challenges/orders-users")); err != nil {
		t.Fatal(err)
	}
	grade := func(args ...string) *reports.Card {
		t.Helper()
		out := t.TempDir()
		code, stdout, stderr := run(t, append(args, "--out", out, "--no-baseline", "--postgres", "local")...)
		card, err := reports.ReadCard(filepath.Join(out, "result.json"))
		if code != exitPass || err != nil {
			t.Fatalf("nplus1 %v: exit %d, %v\nstdout:\n%s\nstderr:\n%s", args, code, err, stdout, stderr)
		}
		return card
	}
	first := grade("grade", "../../challenges/orders-users/reference/go", "--challenge-dir", dir, "--size", "30", "--rtt", "1ms", "--requests", "3")
	want := []string{"nplus1", "grade", "../../challenges/orders-users/reference/go", "--challenge-dir", dir, "--seed", fmt.Sprint(first.Environment.Seed), "--size", "30", "--rtt", "1ms", "--requests", "3"}
	if !slices.Equal(first.Reproduce, want) {
		t.Fatalf("reproduce = %q, want %q", first.Reproduce, want)
	}
	again := grade(first.Reproduce[1:]...)
	if again.Environment.DataDigest != first.Environment.DataDigest || again.Environment.Size != 30 || again.Environment.RTTMS != 1 ||
		again.Metrics.Statements != first.Metrics.Statements || again.Metrics.Timed != first.Metrics.Timed {
		t.Errorf("reproduced: %+v %+v\nfirst: %+v %+v", again.Environment, again.Metrics, first.Environment, first.Metrics)
	}
}

// Every error becomes its exit code in one place.
func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ran  bool
		want int
	}{
		{"none", nil, true, exitPass},
		{"its own code", &exitError{code: 7}, true, 7},
		{"a bad flag", usageError("--x"), false, exitUsage},
		{"cobra's, before the command ran", errors.New(`unknown command "x" for "nplus1"`), false, exitUsage},
		{"the grader's usage error", fmt.Errorf("grade: %w", &grader.UsageError{Err: errors.New("no such directory")}), true, exitUsage},
		{"a command that cannot run", &grader.CommandError{Err: errors.New("not found")}, true, 127},
		{"anything else, once the command ran", errors.New("disk full"), true, exitGradeError},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err, tt.ran); got != tt.want {
			t.Errorf("%s: exitCode(%v, ran %v) = %d, want %d", tt.name, tt.err, tt.ran, got, tt.want)
		}
	}
}

// TestGradeWithNoArgument: `nplus1 grade` in a solution directory (one
// holding nplus1.yaml, as init writes) grades that directory; elsewhere it
// says what to give it.
func TestGradeWithNoArgument(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, errOut := run(t, "grade", "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(errOut, "e.g. nplus1 grade ./solution") || !strings.Contains(errOut, "nplus1.yaml") {
		t.Errorf("nplus1 grade outside a solution: exit %d, stderr %q; want 2 saying to name a directory or run it in one with nplus1.yaml", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "nplus1.yaml"), []byte("challenge: orders-users\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := run(t, "grade", "--out", t.TempDir())
	if code != exitFail || !strings.Contains(stdout, "nothing to run in .:") {
		t.Errorf("nplus1 grade in a solution directory: exit %d, stdout %q, stderr %q; want . graded (a fail: it holds no program)", code, stdout, errOut)
	}
}

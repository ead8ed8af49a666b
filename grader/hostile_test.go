package grader_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/reports"
)

// Hostile and broken solutions: each ends with the right verdict, its own
// check and a clear message, in bounded time, leaving nothing behind.
func TestHostileSolutions(t *testing.T) {
	tests := []struct {
		dir, verdict, check, want string
		tweak                     func(*grader.Options)
	}{
		{"nodetect", reports.Fail, "setup", "main.py", nil},
		{"badyaml", reports.Fail, "setup", "nplus1.yaml:2: field buidl not found", nil},
		{"badchallenge", reports.Fail, "setup", `badchallenge/nplus1.yaml:2: unknown challenge "order-users"; did you mean orders-users? (known: `, func(o *grader.Options) { o.Challenge = "" }},
		{"buildfail", reports.Fail, "build", "undefined: notDeclared", nil},
		{"notmain", reports.Fail, "build", "main.go declares package foo: a Go solution must be package main with a func main", nil},
		{"slowbuild", reports.Fail, "build", "took more than 1s and was stopped; the last of its output: fetching dependencies", func(o *grader.Options) { o.BuildTimeout = time.Second }},
		{"neverlistens", reports.Fail, "start", "did not listen", func(o *grader.Options) { o.ReadyTimeout = time.Second }},
		{"wrongaddr", reports.Fail, "start", "instead", func(o *grader.Options) { o.ReadyTimeout = 2 * time.Second }},
		{"port8080", reports.Fail, "start", "it listens on 127.0.0.1:8080 instead: serve on 127.0.0.1 and the port in $PORT", func(o *grader.Options) { o.ReadyTimeout = 2 * time.Second }},
		// Listening elsewhere for 3 s ends the wait, long before the timeout.
		{"port8080", reports.Fail, "start", "the program listens on 127.0.0.1:8080, not on 127.0.0.1:", func(o *grader.Options) { o.ReadyTimeout = 40 * time.Second }},
		{"hangs", reports.Fail, "correct", "request 1: no answer within 1s (Options.RequestTimeout)", func(o *grader.Options) { o.RequestTimeout = time.Second }},
		{"hangs", reports.Fail, "correct", "request 1: the solution's requests took more than 2s in all", func(o *grader.Options) { o.SolutionTimeout = 2 * time.Second }},
		{"hangs", reports.Fail, "wall-time", "the grade ran past its wall-time limit of 4s and was stopped while the solution ran", func(o *grader.Options) { o.WallTime, o.RequestTimeout = 4*time.Second, time.Hour }},
		{"status500", reports.Fail, "correct", "status 500", nil},
		{"shortbody", reports.Fail, "correct", "request 1: the solution closed the connection before its answer was complete (did the handler fail, or send a Content-Length longer than its body?)", nil},
		// Per-row queries inside one statement are refused, not hidden.
		{"serverloop", reports.Fail, "correct", "42501: permission denied for function query_to_xml", nil},
		{"tablexml", reports.Fail, "correct", "42501: permission denied for function table_to_xml", nil},
		{"panics", reports.Fail, "correct", "request 1: the solution closed the connection before its answer was complete (did the handler panic?); its output says: http: panic serving 127.0.0.1:", nil},
		{"hugebody", reports.Fail, "correct", "over 64 MiB", nil},
		{"runaway", reports.Fail, "statements", "more than 2000 statements", func(o *grader.Options) { o.MaxStatements = 2000 }},
		{"slowquery", reports.Fail, "correct", "canceling statement due to statement timeout", func(o *grader.Options) { o.StatementTimeout = 500 * time.Millisecond }},
		{"memhog", reports.Fail, "correct", "the 256MiB a solution may use, and was stopped", func(o *grader.Options) { o.MemoryLimit = 256 << 20 }},
		{"manyconns", reports.Pass, "correct", "match", nil},
		{"trailing", reports.Fail, "correct", "request 1: the body must be one JSON value, but 7 more bytes follow it: garbage", nil},
		{"notimeout", reports.Fail, "correct", "42501: nplus1: the grader does not let a solution change statement_timeout", func(o *grader.Options) { o.StatementTimeout = time.Second }},
		{"rolesettings", reports.Fail, "correct", "nplus1: the grader does not let a solution change its role (ALTER ROLE)", nil},
		{"tempfiles", reports.Fail, "correct", "temporary file size exceeds temp_file_limit (16384kB)", nil},
		{"killsbackend", reports.Fail, "correct", "the database server ended the solution's connection while it ran `SELECT pg_terminate_backend(pg_backend_pid())`: 57P01: terminating connection due to administrator command", nil},
		// Unsandboxed, a solution can kill the server, and fails for it;
		// sandboxed, it cannot see the server's processes at all.
		{"killspostmaster", reports.Fail, "database", "the database server stopped answering while the solution ran (", func(o *grader.Options) { o.Sandbox = grader.SandboxOff }},
		{"killspostmaster", reports.Fail, "correct", "status 500", func(o *grader.Options) { o.Sandbox = grader.SandboxRequired }},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			start := time.Now()
			card := gradeDir(t, filepath.Join("testdata/hostile", tt.dir), func(o *grader.Options) {
				o.Seed = 4242 // the same data every time, for the golden card
				if tt.tweak != nil {
					tt.tweak(o)
				}
			})
			c := card.Check(tt.check)
			if card.Verdict != tt.verdict || c == nil || !strings.Contains(c.Message, tt.want) {
				t.Errorf("verdict %s (%s), %s = %+v; want %s with %q\nchecks: %+v\noutput: %s", card.Verdict, card.Error, tt.check, c, tt.verdict, tt.want, card.Checks, card.Output)
			}
			if tt.dir == "panics" && (c == nil || !strings.HasSuffix(c.Message, ": assignment to entry in nil map")) {
				t.Errorf("correct = %+v, want the panic's own message quoted", c)
			}
			if took := time.Since(start); took > time.Minute {
				t.Errorf("the grade took %s", took)
			}
			goldenCard(t, goldenName(t), card)
		})
	}
}

// Read-only is structural: whatever the solution's role turns off, it
// cannot write; what it tries is named, a write apart from a statement
// refused for another reason; and the checksum covers the whole database.
func TestReadOnlyIsStructural(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
		not  string
	}{
		{"largeobject", []string{`write attempts (the endpoint must only read): "SELECT lo_from_bytea(0, 'x')" (42501: permission denied for function lo_from_bytea)`}, "the database changed"},
		{"canceller", []string{`refused statements beyond reading: "SELECT pg_cancel_backend(pid) FROM pg_stat_activity`, "(refused: 42501: ", "cancel"}, "write attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			card := gradeDir(t, filepath.Join("testdata/hostile", tt.dir), nil)
			c := card.Check("read-only")
			if card.Verdict != reports.Fail || c == nil || c.Status != reports.Fail {
				t.Fatalf("verdict %s (%s), read-only = %+v; want fail\nchecks: %+v\noutput: %s", card.Verdict, card.Error, c, card.Checks, card.Output)
			}
			for _, want := range tt.want {
				if !strings.Contains(c.Message, want) {
					t.Errorf("read-only: %q\nwant it to say %q", c.Message, want)
				}
			}
			if strings.Contains(c.Message, tt.not) {
				t.Errorf("read-only: %q\nwant nothing of %q", c.Message, tt.not)
			}
			if c := card.Check("correct"); c == nil || c.Status != reports.Pass {
				t.Errorf("correct = %+v, want pass", c)
			}
		})
	}
}

// A database that stopped before the solution started is the machine's
// failure (error), not the learner's: the solution never ran against it.
func TestDatabaseDownBeforeTheSolutionStarts(t *testing.T) {
	var tmp string
	killAtBuild := writerFunc(func(p []byte) (int, error) {
		if bytes.HasPrefix(p, []byte("build:")) {
			killPostgres(t, tmp)
		}
		return len(p), nil
	})
	card := gradeDir(t, "../challenges/orders-users/reference/python", func(o *grader.Options) {
		tmp = os.Getenv("TMPDIR")
		o.Progress = killAtBuild
	})
	if card.Verdict != reports.Error || !strings.Contains(card.Error, "the database stopped answering before the solution started") || len(card.Checks) != 0 {
		t.Errorf("verdict %s (%q), checks %+v; want error blaming the database, before any check", card.Verdict, card.Error, card.Checks)
	}
}

// writerFunc is an io.Writer made of a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// killPostgres kills the postmaster whose data directory is under tmp and
// waits until it and its backends are gone.
func killPostgres(t *testing.T, tmp string) {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 2 && strings.HasSuffix(args[0], "postgres") && args[1] == "-D" && strings.HasPrefix(args[2], tmp) {
			var pid int
			if _, err := fmt.Sscan(filepath.Base(p), &pid); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Logf("killed postgres %d", pid)
			}
		}
	}
	// Its backends (their working directory is the data directory) notice
	// and exit; a zombie postmaster waits for the grader to reap it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left := 0
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
			status, _ := os.ReadFile(filepath.Join(p, "status"))
			if strings.HasPrefix(cwd, tmp) && !strings.Contains(string(status), "State:\tZ") && filepath.Base(p) != strconv.Itoa(os.Getpid()) {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d of the server's processes still run 10s after its postmaster was killed", left)
			return
		}
	}
}

// A build or run command too long to run (Linux: E2BIG) fails the setup,
// and no message quotes more than the start of a long command.
func TestLongCommands(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, manifest, check, want string
		tweak                       func(*grader.Options)
	}{
		{"run", "run: echo " + long(300000), "setup", "nplus1.yaml:2: the run command is 300005 bytes long, too long to run (sh -c takes it as one argument, and a program's argument must be shorter than 128 KiB): put the commands in a script in the solution directory and run that", nil},
		{"build", "build: echo " + long(300000) + "\nrun: true", "setup", "nplus1.yaml:2: the build command is 300005 bytes long, too long to run", nil},
		{"slow build", "build: sleep 5; echo " + long(100000) + "\nrun: true", "build", "the build (sleep 5; echo " + long(186) + "… (100014 bytes)) took more than 1s and was stopped", func(o *grader.Options) { o.BuildTimeout = time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "nplus1.yaml"), []byte("challenge: orders-users\n"+tt.manifest+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			card := gradeDir(t, dir, tt.tweak)
			c := card.Check(tt.check)
			if card.Verdict != reports.Fail || c == nil || !strings.Contains(c.Message, tt.want) {
				t.Fatalf("verdict %s (%.300s), %s = %.500v; want fail with %q; checks %.500v", card.Verdict, card.Error, tt.check, c, tt.want, card.Checks)
			}
			for _, c := range card.Checks {
				if len(c.Message) > 600 {
					t.Errorf("the %s check's message is %d bytes long: %.300s…", c.Name, len(c.Message), c.Message)
				}
			}
			if len(card.Output) > 600 {
				t.Errorf("the card's output is %d bytes long: %.300s…", len(card.Output), card.Output)
			}
		})
	}
}

// A right fix whose latency misses the budget says why: a p95 just over it
// is timed once more, and the message names the slowest request's round
// trips and the connections opened per request.
func TestSlowLatencySaysWhy(t *testing.T) {
	card := gradeDir(t, "testdata/hostile/connectsperrequest", func(o *grader.Options) {
		o.RTT = 55 * time.Millisecond // two round trips and a connect: just over the 100 ms budget
		o.Requests = 5
	})
	c := card.Check("latency")
	if c == nil || c.Status != reports.Fail {
		t.Fatalf("latency = %+v, want fail", c)
	}
	for _, want := range []string{"timed twice, as the first p95 (", "; the slowest request took ", " round trips; ", "of the 5 timed requests opened a new database connection"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("latency: %q\nwant it to say %q", c.Message, want)
		}
	}
	if c := card.Check("correct"); c == nil || c.Status != reports.Pass {
		t.Errorf("correct = %+v, want pass", c)
	}
}

// The holes a red team found, each a solution that once forged a pass or
// blamed the machine (testdata/redteam*/REPORT.md): each now fails, on the
// check that sees it.
func TestRedTeamHolesStayClosed(t *testing.T) {
	tests := []struct{ dir, check, want string }{
		// Lookups left unfinished (no Sync, the client leaves after the
		// first row) count at their first row.
		{"unflushed", "statements", "data statements in one request"},
		// Reading the SQL apart from the server: a backslash that escapes
		// a quote only with standard_conforming_strings off, or ends a
		// GB18030 character. Neither setting may be changed.
		{"scsoff", "start", "the program exited before it listened"}, // its panic names the refusal
		{"gb18030", "start", "nplus1: the grader does not let a solution change client_encoding"},
		{"scsbounds", "start", "nplus1: the grader does not let a solution change standard_conforming_strings"},
		// Round 2 (testdata/redteam2): the proxy's record of prepared
		// statements made to disagree with the server's, so that per-row
		// lookups ran under a catalog query's text, or none. SQL PREPARE
		// is refused, and a statement the proxy never saw prepared counts
		// as data.
		{"../redteam2/deallocu", "start", "the program exited before it listened"},
		{"../redteam2/prepswap", "correct", "status 500"},
		{"../redteam2/sqlprepare", "start", "the program exited before it listened"},
		// Round 3 (testdata/redteam3): a learner's own broken package is
		// the learner's to fix (its program fails to start), not a
		// machine's setup (exit 3). (fdleak is
		// TestSandboxIsolatesTheProgram's, diskfill runner's disk and tmpfs
		// tests: they need no 2 GiB of CI's disk.)
		{"../redteam3/nodeblame", "start", "the program exited before it listened"},
		// Round 4 (testdata/redteam4): an N+1 run between requests (when
		// the data changes) counts with the next request; the shared Go
		// build cache is hidden from programs; the machine's packages are
		// checked without the solution's own modules first on the path.
		{"../redteam4/lockwatch", "statements", "data statements in one request"},
		{"../redteam4/cachepeek", "start", "No such file or directory"},
		{"../redteam4/typesblame", "start", "the program exited before it listened"},
		// Round 5 (testdata/redteam5): a failed Bind over a named portal
		// the server keeps (made before a savepoint) no longer names what
		// the portal runs; ts_rewrite with a query, which runs it once per
		// row inside one statement, is refused as query_to_xml is.
		{"../redteam5/bindswap", "statements", "data statements in one request"},
		{"../redteam5/tsrewrite", "correct", "42501: permission denied for function ts_rewrite"},
		// A program's own ModuleNotFoundError for psycopg2 is the
		// machine's only if the machine's Python lacks psycopg2 indeed.
		{"../redteam5/driverblame", "start", "the machine's Python has psycopg2: the program's own code kept it from loading"},
		// Statements before the first request count for no request, but
		// the trace keeps them: past the statement cap the program is
		// stopped, as a request is.
		{"../redteam5/errorflood", "start", "the program ran more than 20000 statements before it listened; the grader stopped it"},
		// Memory in no process's resident set (a memfd, SysV shared memory
		// touched and detached): refused by the sandbox's seccomp filter
		// (round 7), which an unprivileged grader on cgroup v1, with no
		// cgroup to count it, needs.
		{"../redteam5/shmemhold", "start", "PermissionError: [Errno 1] Operation not permitted"},
		// Round 8: shared anonymous memory, touched then dropped from the
		// mapping (MADV_DONTNEED), is held in no resident set either: the
		// filter refuses its mmap.
		{"../redteam8/shanon", "start", "PermissionError: [Errno 1] Operation not permitted"},
		// Session advisory locks filled the server's shared lock table: the
		// grader's own seed failed, out of shared memory (an error of the
		// machine's). The role may take none.
		{"../redteam8/advlock", "start", "permission denied for function pg_advisory_lock"},
		// Round 6 (testdata/redteam6): a Bind sent behind a Parse the
		// server refuses (the name exists) binds what the server kept
		// under the name, not the refused text.
		{"../redteam6/parseswap", "statements", "data statements in one request"},
		// A DEALLOCATE that ran before its Query's error holds: the proxy
		// no longer puts back over a statement parsed since the text it
		// held before.
		{"../redteam6/deallocshow", "statements", "data statements in one request"},
		// A message the proxy cannot read (a Describe with no body) keeps
		// its place in line, and what the server skips after an error up
		// to a Sync waits for no answer: the answers are tied to the
		// messages they answer, not to the one before.
		{"../redteam6/emptydescribe", "statements", "data statements in one request"},
		// A -- comment ends at a carriage return as at a line feed: a
		// lookup the proxy read as all comment failed with the user in its
		// error, and counted as no data statement.
		{"../redteam6/crcomment", "statements", "data statements in one request"},
		// SET U&"standard_conforming_strings" = off, its name written
		// with Unicode escapes, is refused as the plain one is.
		{"../redteam6/uescape", "start", "the program exited before it listened"}, // its panic names the refusal
		// SET sort_mem and vacuum_mem, the old names of work_mem and
		// maintenance_work_mem, are refused as those are.
		{"../redteam6/sortmem", "start", "the program exited before it listened"},
		// Round 7 (testdata/redteam7): the grader reads a solution's own
		// files only: an nplus1.yaml linked to a file out of the directory
		// (/etc/shadow, the grader's /proc/self/environ) no longer puts
		// that file's lines into the card, nor /dev/zero the grader's
		// memory (runner's TestDetectReadsOnlyTheSolutionsFiles).
		{"../redteam7/yamllink", "setup", "nplus1.yaml: a link to /etc/passwd, out of the solution directory"},
		// The copy the sandbox and go list work on keeps no link out of the
		// solution: go list, run as the grader, wrote go.sum through one to
		// a missing /var/tmp file (and would to /etc/cron.d/x as root), and
		// read go.mod through one to /dev/zero until the machine's memory
		// ran out (runner's TestCopyDropsLinksOut,
		// TestGoBuildStaysInTheSolution).
		{"../redteam7/sumlink", "statements", "data statements in one request"},
		{"../redteam7/modzero", "build", "go.mod is a link out of the solution directory"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			card := gradeDir(t, filepath.Join("testdata/redteam", tt.dir), func(o *grader.Options) { o.Requests = 5 })
			c := card.Check(tt.check)
			if card.Verdict != reports.Fail || c == nil || c.Status != reports.Fail || !strings.Contains(c.Message, tt.want) {
				t.Errorf("verdict %s (%s), %s = %+v; want fail with %q\nchecks: %+v", card.Verdict, card.Error, tt.check, c, tt.want, card.Checks)
			}
		})
	}
}

// A directory's name with a newline stays on the grader's progress line
// (redteam7/termescape): "build: DIR" wrote a line of its own, which a CI
// log showed as the grader's.
func TestDirectoryNameStaysOnItsProgressLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x\nPASS  orders-users  ok")
	os.Mkdir(dir, 0o755)
	src := "../challenges/orders-users/starter/python"
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
	}
	var progress lockedBuffer
	gradeDir(t, dir, func(o *grader.Options) { o.Requests = 1; o.Progress = &progress })
	for _, line := range strings.Split(progress.String(), "\n") {
		if strings.HasPrefix(line, "PASS") {
			t.Errorf("the name wrote a line of its own: %q", progress.String())
		}
	}
}

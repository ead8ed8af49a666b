package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/nplus1/nplus1/internal/setting"
)

// target is a started program behind its own proxy.
type target struct {
	proc   *runner.Process
	proxy  *proxy.Proxy
	trace  *proxy.Trace
	url    string
	client *http.Client // reaches the program where it runs
	// budget is the time all the requests may take together
	// (Options.SolutionTimeout; 0: no limit), and spent what they took.
	budget, spent time.Duration
	// after marks the end of the last request's statements: what the
	// solution runs between two requests counts with the next one, so
	// work moved out of the requests (a cache rebuilt row by row when the
	// data changes) is counted all the same. nil before the first request.
	after *proxy.Mark
}

func (t *target) stop() {
	t.proc.Stop()
	t.proxy.Close()
}

// sandboxPorts are the ports a sandboxed program is given: its network is
// its own, so they are always free. Its HTTP port is one of
// sandboxHTTPPorts from sandboxHTTPPort on, picked per grade, so that a
// program that serves on a port of its own choosing (8080, 3000, 8000)
// rather than $PORT fails here as it does unsandboxed.
const (
	sandboxDatabasePort = 5432
	sandboxHTTPPort     = 20000
	sandboxHTTPPorts    = 20000
)

// start starts a built program behind a new proxy, in a sandbox when the
// grade isolates, or says whose failure it is that it did not start.
func (g *grade) start(ctx context.Context, built *runner.Built, upstream *pgconn.Config, output io.Writer) (*target, *check.Failure) {
	t := &target{trace: &proxy.Trace{}}
	var place *runner.Place
	if g.iso != nil {
		var err error
		if place, err = built.Sandbox(g.iso); err != nil {
			return nil, machineFailure(fmt.Errorf("start the solution's sandbox: %w", err))
		}
		g.sandbox = sandbox.Describe + "; limits by " + place.Limits()
	}
	dbAddr := "127.0.0.1:0" // any free port
	if place.Sandboxed() {
		dbAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(sandboxDatabasePort))
	}
	listener, err := place.Listen(dbAddr)
	if err != nil {
		place.Close()
		return nil, machineFailure(fmt.Errorf("start proxy: %w", err))
	}
	password := randomHex(16)
	maxConns := 0 // the proxy's default, roleConnections
	if g.db != nil {
		maxConns = g.db.conns // the role's: its share of a batch's server
	}
	px, err := proxy.Listen(proxy.Config{Upstream: upstream, User: "solution", Password: password, RTT: g.rtt, Trace: t.trace, Listener: listener, MaxConns: maxConns})
	if err != nil {
		place.Close()
		return nil, machineFailure(err)
	}
	addr := px.Addr()
	env := []string{
		fmt.Sprintf("DATABASE_URL=postgres://solution:%s@%s/nplus1?sslmode=disable", password, addr),
		"PGHOST=127.0.0.1",
		fmt.Sprintf("PGPORT=%d", addr.Port),
		"PGUSER=solution",
		"PGPASSWORD=" + password,
		"PGDATABASE=nplus1",
		"PGSSLMODE=disable",
	}
	var (
		proc *runner.Process
		port int
	)
	for attempt := 0; attempt < 3; attempt++ {
		port = sandboxHTTPPort + rand.IntN(sandboxHTTPPorts)
		if !place.Sandboxed() {
			if port, err = procgroup.FreePort(); err != nil {
				break
			}
		}
		// A free port can be taken before the program binds it: try another.
		proc, err = g.startCapped(ctx, built, t.trace, runner.StartOptions{Port: port, Env: env, Output: output, ReadyTimeout: g.opts.ReadyTimeout, MemoryLimit: g.opts.MemoryLimit, Place: place})
		if !errors.Is(err, runner.ErrPortTaken) {
			break
		}
	}
	if errors.Is(err, errTooManyStatements) {
		px.Close()
		return nil, learnerFailure("start", fmt.Sprintf("the program ran more than %d statements before it listened; the grader stopped it", g.maxStatements()), "")
	}
	if err != nil {
		px.Close()
		var le runner.LearnerError
		if errors.As(err, &le) {
			msg := err.Error() + outputNote(le.LearnerOutput(), 3)
			if missing := runner.MissingDriver(g.sol, le.LearnerOutput(), g.opts.Python); missing != nil {
				// The program says so; the machine is to blame only if
				// its interpreter lacks the driver indeed.
				if has, _ := built.HasModule(ctx, missing.Module, g.iso); !has {
					built.Locate(ctx, missing, g.iso)
					f := machineFailure(missing) // the machine's setup: exit 3, not a red fail
					f.Output = le.LearnerOutput()
					return nil, f
				}
				msg += fmt.Sprintf(" (the machine's Python has %s: the program's own code kept it from loading)", missing.Module)
			} else if runner.BaseLanguage(g.sol.Language) == runner.Python && strings.Contains(le.LearnerOutput(), "ModuleNotFoundError") {
				msg += fmt.Sprintf(" (is it the Python you meant? %s picks the interpreter)", setting.Python)
			}
			return nil, learnerFailure("start", msg, le.LearnerOutput())
		}
		return nil, machineFailure(fmt.Errorf("start the solution: %w", err))
	}
	t.proc, t.proxy = proc, px
	t.url = fmt.Sprintf("http://127.0.0.1:%d%s", port, g.ch.Endpoint.Path)
	t.client = &http.Client{Timeout: g.opts.RequestTimeout, Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return place.Dial(ctx, addr) },
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}}
	where := ""
	if place.Sandboxed() {
		where = " in its sandbox"
	}
	g.progress("start: listening on 127.0.0.1:%d%s", port, where)
	return t, nil
}

// startCapped starts the program as built.Start does, and stops it if it
// runs more than the statement cap before it listens
// (errTooManyStatements): statements then count for no request, and the
// trace keeps every one, so a flood would only fill the grader's memory.
func (g *grade) startCapped(ctx context.Context, built *runner.Built, trace *proxy.Trace, opts runner.StartOptions) (*runner.Process, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer g.capStatements(trace, proxy.Mark{}, cancel)()
	proc, err := built.Start(ctx, opts)
	if err != nil && errors.Is(context.Cause(ctx), errTooManyStatements) {
		return nil, errTooManyStatements
	}
	return proc, err
}

// Command proxyserve runs the grader's tracing proxy standalone, for
// benchmarks with outside clients (scripts/bench-proxy.sh runs pgbench
// through it).
//
// It starts a throwaway PostgreSQL with the local provider (or proxies the
// server given with -upstream), puts a proxy in front of it (tracing on, RTT
// from -rtt), prints two lines on stdout,
//
//	DIRECT=<connection URL of the server>
//	PROXY=<connection URL of the proxy>
//
// and serves until it gets SIGINT or SIGTERM. Then it prints
// the trace's counts on stderr, stops the proxy and the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "proxyserve:", err)
		os.Exit(1)
	}
}

func run() error {
	upstream := flag.String("upstream", "", "connection URL of an existing server (default: start a local one)")
	rtt := flag.Duration("rtt", 0, "simulated round-trip time")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the proxy to this file")
	flag.Parse()

	ctx := context.Background()
	url := *upstream
	if url == "" {
		inst, err := postgres.NewLocal(postgres.LocalOptions{}).Start(ctx)
		if err != nil {
			return err
		}
		defer inst.Terminate(context.Background())
		url = inst.ConnectionString()
	}
	up, err := pgconn.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse upstream: %w", err)
	}
	tr := &proxy.Trace{}
	p, err := proxy.Listen(proxy.Config{Upstream: up, User: "bench", Password: "bench", RTT: *rtt, Trace: tr})
	if err != nil {
		return err
	}
	defer p.Close()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("DIRECT=%s\nPROXY=postgres://bench:bench@%s/%s?sslmode=disable\n", url, p.Addr(), up.Database)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	<-stop
	stmts, rounds := tr.Since(proxy.Mark{})
	fmt.Fprintf(os.Stderr, "proxyserve: %d connections, %d statements, %d round trips in %s; %d problems\n",
		tr.Connections(), len(stmts), len(rounds), time.Since(start).Round(time.Millisecond), len(tr.Problems(proxy.Mark{})))
	return nil
}

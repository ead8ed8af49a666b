package grader

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
)

// BatchResult is one solution's outcome in GradeMany.
type BatchResult struct {
	Solution string
	Card     *reports.Card // nil when Err is set
	Err      error         // a *UsageError for this solution's input
}

// GradeMany grades several solutions against one Postgres server, jobs at
// a time: the server starts once, and every grade gets a database of its
// own on it, made and dropped around it. opts applies to every grade;
// progress, when not nil, returns where each solution's progress lines go.
// Results come in the order of dirs.
func GradeMany(ctx context.Context, dirs []string, jobs int, opts Options, progress func(dir string) io.Writer) ([]BatchResult, error) {
	if jobs < 1 {
		jobs = 1
	}
	outer := opts.Provider
	inst, err := outer.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	defer func() {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		inst.Terminate(tctx)
	}()
	results := make([]BatchResult, len(dirs))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := opts
			o.Solution = dir
			o.Provider = postgres.NewURL(inst.ConnectionString())
			if progress != nil {
				o.Progress = progress(dir)
			}
			card, err := Grade(ctx, o)
			if card != nil {
				card.Environment.Provider = outer.Name()
			}
			results[i] = BatchResult{Solution: dir, Card: card, Err: err}
		}()
	}
	wg.Wait()
	return results, nil
}

// CardDirs names an output directory per solution: the directory's base
// name, or parent-base when two solutions share a base name, with a number
// added if that still clashes.
func CardDirs(out string, dirs []string) []string {
	base := make([]string, len(dirs))
	count := map[string]int{}
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			abs = filepath.Clean(d)
		}
		base[i] = filepath.Base(abs)
		count[base[i]]++
	}
	seen := map[string]int{}
	names := make([]string, len(dirs))
	for i, d := range dirs {
		name := base[i]
		if count[name] > 1 {
			abs, _ := filepath.Abs(d)
			name = filepath.Base(filepath.Dir(abs)) + "-" + name
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s-%d", name, n)
		}
		names[i] = filepath.Join(out, name)
	}
	return names
}

package grader

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nplus1/nplus1/challenges"
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
// a time: the server starts once, the challenge's data is seeded once (per
// challenge) into a template database, and every grade gets a copy of it
// of its own, made and dropped around it. Every grade uses the same seed,
// opts.Seed or one picked at random, so all solutions answer the same data.
// opts applies to every grade; progress, when not nil, returns where each
// solution's progress lines go. Results come in the order of dirs.
func GradeMany(ctx context.Context, dirs []string, jobs int, opts Options, progress func(dir string) io.Writer) ([]BatchResult, error) {
	if jobs < 1 {
		jobs = 1
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Int64N(MaxSeed) + 1
	}
	// Solutions that cannot be graded (no directory, a malformed
	// nplus1.yaml) are told so before a server starts, and with none left
	// none does.
	results := make([]BatchResult, len(dirs))
	var todo []int
	for i, dir := range dirs {
		o := opts
		o.Solution = dir
		if g, card, err := begin(o); g == nil {
			results[i] = BatchResult{Solution: dir, Card: card, Err: err}
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return results, nil
	}
	shared, err := openBatch(ctx, opts.Provider, jobs)
	if err != nil {
		return nil, err
	}
	defer shared.close(ctx)
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for _, i := range todo {
		dir := dirs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := opts
			o.Solution = dir
			o.Provider = postgres.NewURL(shared.admin)
			o.batch = shared
			if progress != nil {
				o.Progress = progress(dir)
			}
			card, err := Grade(ctx, o)
			if card != nil {
				card.Environment.Provider = shared.provider // also on cards that did not begin
			}
			results[i] = BatchResult{Solution: dir, Card: card, Err: err}
		}()
	}
	wg.Wait()
	return results, nil
}

// batch is the data source the grades of a batch, and a challenge's own
// programs in Validate, share: one server; once per challenge, seed and
// size, a seeded database on it for the grades to copy; once per set of
// conditions (see grade.baselineKey), the baseline.
type batch struct {
	server    postgres.Instance
	admin     string                     // the server's connection string
	provider  string                     // where the server came from: local, docker or url
	jobs      int                        // grades at a time on the server
	templates onceMap[*seededDB]         // by challenge, seed and size
	baselines onceMap[*reports.Baseline] // by grade.baselineKey; nil: not measured
}

// openBatch starts the server for a batch of grades, jobs at a time; close
// it when the grades are done.
func openBatch(ctx context.Context, provider postgres.Provider, jobs int) (*batch, error) {
	inst, err := provider.Start(ctx)
	if err != nil {
		return nil, err
	}
	return &batch{server: inst, admin: inst.ConnectionString(), provider: provider.Name(), jobs: jobs}, nil
}

// close drops every template database and stops the server.
func (bt *batch) close(ctx context.Context) {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, t := range bt.templates.values() {
		if t.inst != nil {
			t.inst.Terminate(tctx)
		}
	}
	bt.server.Terminate(tctx)
}

// seedError is the challenge's own SQL failing while a template database
// is made: its schema, seed or expected query, not the machine.
type seedError struct{ err error }

func (e *seedError) Error() string { return e.err.Error() }
func (e *seedError) Unwrap() error { return e.err }

// size is how many grades run at a time on the batch's server: 1 for a
// grade on its own (b nil).
func (b *batch) size() int {
	if b == nil {
		return 1
	}
	return b.jobs
}

// onceMap makes a value per key the first time it is asked for, once, for
// callers that may ask at the same time.
type onceMap[V any] struct {
	mu sync.Mutex
	m  map[string]*onceValue[V]
}

type onceValue[V any] struct {
	once sync.Once
	v    V
}

func (o *onceMap[V]) get(key string, build func() V) V {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*onceValue[V]{}
	}
	e := o.m[key]
	if e == nil {
		e = &onceValue[V]{}
		o.m[key] = e
	}
	o.mu.Unlock()
	e.once.Do(func() { e.v = build() })
	return e.v
}

// forget drops key's value: the next get makes it again.
func (o *onceMap[V]) forget(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, key)
}

// values returns the values made so far.
func (o *onceMap[V]) values() []V {
	o.mu.Lock()
	defer o.mu.Unlock()
	var vs []V
	for _, e := range o.m {
		vs = append(vs, e.v)
	}
	return vs
}

// baseline returns the baseline measured under the conditions key names,
// calling measure the first time; each caller gets its own copy.
func (bt *batch) baseline(key string, measure func() *reports.Baseline) *reports.Baseline {
	b := bt.baselines.get(key, measure)
	if b == nil {
		bt.baselines.forget(key) // not measured (say, the starter's port was taken): a later grade tries again
		return nil
	}
	cp := *b
	return &cp
}

// seededDB is one seeded database, made by the first grade that needs it.
type seededDB struct {
	inst postgres.Instance // nil if it could not be made
	err  error
}

// templateFor returns the database seeded for ch, seed and size, making it
// the first time. It has no open session, so it can be copied
// (Instance.Copy).
func (bt *batch) templateFor(ctx context.Context, ch *challenges.Challenge, seed int64, size int) (postgres.Instance, error) {
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%d", ch.Source, ch.ID, seed, size)
	t := bt.templates.get(key, func() *seededDB {
		t := &seededDB{}
		t.err = t.make(ctx, bt.admin, ch, seed, size)
		return t
	})
	return t.inst, t.err
}

func (t *seededDB) make(ctx context.Context, admin string, ch *challenges.Challenge, seed int64, size int) error {
	inst, err := postgres.NewURL(admin).Start(ctx)
	if err != nil {
		return err
	}
	t.inst = inst
	db, err := openDatabase(ctx, inst.ConnectionString())
	if err != nil {
		return err
	}
	defer db.close(context.WithoutCancel(ctx)) // a template must have no session
	if err := db.createSchema(ctx, ch); err != nil {
		return &seedError{err}
	}
	if _, err := db.reseed(ctx, ch, seed, size); err != nil {
		return &seedError{err}
	}
	return nil
}

// CardDirs names an output directory per solution: the directory's base
// name, or as many of its path's last elements as tell it apart from the
// others, joined by "-" (submissions/alice/go and submissions/bob/go go to
// alice-go and bob-go), with a number added to the same directory given
// twice.
func CardDirs(out string, dirs []string) []string {
	paths := make([]string, len(dirs))
	elems := make([][]string, len(dirs))
	depth := make([]int, len(dirs))
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			abs = filepath.Clean(d)
		}
		paths[i] = abs
		elems[i] = strings.FieldsFunc(filepath.ToSlash(abs), func(r rune) bool { return r == '/' || r == ':' })
		depth[i] = 1
	}
	name := func(i int) string {
		e := elems[i]
		return strings.Join(e[len(e)-min(depth[i], len(e)):], "-")
	}
	for deeper := true; deeper; {
		deeper = false
		clash := map[string][]int{}
		for i := range dirs {
			clash[name(i)] = append(clash[name(i)], i)
		}
		for _, group := range clash {
			for _, i := range group {
				other := slices.ContainsFunc(group, func(j int) bool { return paths[j] != paths[i] })
				if other && depth[i] < len(elems[i]) {
					depth[i]++
					deeper = true
				}
			}
		}
	}
	seen := map[string]int{}
	names := make([]string, len(dirs))
	for i := range dirs {
		n := name(i)
		if n == "" {
			n = "solution"
		}
		seen[n]++
		if k := seen[n]; k > 1 {
			n = fmt.Sprintf("%s-%d", n, k)
		}
		names[i] = filepath.Join(out, n)
	}
	return names
}

package grader

import (
	"context"
	"fmt"
	"time"

	"github.com/nplus1/nplus1/grader/postgres"
)

// Where a grade's data comes from. Alone, a grade gets a fresh database of
// its provider's and seeds it; in a batch (GradeMany, and Validate for a
// challenge's own programs), it gets a copy of the database the batch
// seeded once for the challenge, seed and size (see batch.templateFor), and
// the baseline the batch measured once. startDatabase and seed are the one
// place that tells the two apart.

// startDatabase starts the grade's database, records its version on the
// card and says where it came from. Terminate it when the grade is done.
func (g *grade) startDatabase(ctx context.Context) (postgres.Instance, error) {
	began := g.opts.Now()
	start := g.opts.Provider.Start
	if g.opts.batch != nil {
		tmpl, err := g.opts.batch.templateFor(ctx, g.ch, g.opts.Seed, g.size)
		if err != nil {
			return nil, fmt.Errorf("seed the batch's template database: %w", err)
		}
		start = tmpl.Copy
	}
	inst, err := start(ctx)
	if err != nil {
		return nil, err
	}
	g.card.Environment.PostgresVersion = inst.Version()
	where := inst.Provider()
	if g.opts.batch != nil {
		where = "a copy of the batch's seeded database on its " + g.opts.batch.provider + " server"
	}
	g.progress("postgres: %s %s ready in %s", where, inst.Version(), g.opts.Now().Sub(began).Round(time.Millisecond))
	return inst, nil
}

// seed gives db the challenge's schema and data, unless it is a batch's
// copy that holds them already, and returns the expected response.
func (g *grade) seed(ctx context.Context, db *database) ([]byte, error) {
	if g.opts.batch != nil {
		if err := db.listTables(ctx); err != nil {
			return nil, err
		}
		return db.expected(ctx, g.ch)
	}
	if err := db.createSchema(ctx, g.ch); err != nil {
		return nil, err
	}
	return db.reseed(ctx, g.ch, g.opts.Seed, g.size)
}

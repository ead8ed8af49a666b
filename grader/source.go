package grader

import (
	"context"
	"fmt"
	"time"

	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
)

// Where a grade's data comes from. Alone, a grade gets a fresh database of
// its provider's and seeds it; in a batch (GradeMany, and Validate for a
// challenge's own programs), it gets a copy of the database the batch
// seeded once for the challenge, seed and size (see batch.templateFor), and
// the baseline the batch measured once. startDatabase, seed, earlyStarter
// and getBaseline are the one place that tells the two apart.

// startDatabase starts the grade's database, records its version for the
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
	g.postgresVersion = inst.Version()
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

// earlyStarter starts building the challenge's starter, untimed, beside
// the solution's build, when this grade measures the baseline itself:
// alone, it does; in a batch the first grade to need the baseline builds
// the starter then (getBaseline). nil: nothing to build now.
func (g *grade) earlyStarter(ctx context.Context) *baselineBuild {
	if g.opts.NoBaseline || g.opts.batch != nil {
		return nil
	}
	return g.buildBaseline(ctx)
}

// getBaseline is the card's baseline. Alone, measure measures it now with
// the starter built early. In a batch the starter is measured once, by
// the first grade to get here, under the batch's conditions, for every
// card that shares them.
func (g *grade) getBaseline(ctx context.Context, early *baselineBuild, measure func(*baselineBuild) *reports.Baseline) *reports.Baseline {
	if g.opts.batch == nil {
		return measure(early)
	}
	return g.opts.batch.baseline(g.baselineKey(), func() *reports.Baseline {
		starter := g.buildBaseline(ctx)
		defer starter.close()
		return measure(starter)
	})
}

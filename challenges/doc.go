// Package challenges is the catalog of challenges, as data embedded in the
// binary, and the loader that validates a challenge directory.
//
// Load and List read the embedded catalog; LoadDir reads a directory on
// disk, for challenge authors. Every problem found in a directory is
// reported, one a line, as "file:line: message", for example
//
//	challenges/orders-users/challenge.yaml:12: limits.p95: want a duration with a unit, like 100ms, got "fast"
//
// # A challenge directory
//
// The directory is named after the challenge's id and holds:
//
//	challenge.yaml         the description, below
//	schema.sql             creates the tables
//	seed.sql               fills them from a random seed (the contract is below)
//	expected.sql           one query: the expected response body
//	starter/<lang>/        the broken program the learner starts from
//	reference/<lang>/      a program that passes
//
// The SQL files are required. The embedded catalog also requires
// starter/go, starter/python, reference/go and reference/python; LoadDir does
// not. Each starter or reference directory is a complete solution (see the
// solution contract in DESIGN.md) with an nplus1.yaml naming the challenge.
// The Go programs have no go.mod, because go:embed cannot hold a nested
// module: in this repository they build with the root module, and
// "nplus1 init" writes a go.mod when it copies a starter out.
//
// # challenge.yaml
//
//	id: orders-users              # required; the directory name; lower-case words joined by -
//	title: Orders and their users # required
//	level: beginner               # required: beginner, intermediate or advanced
//	summary: One line.            # required
//	brief: |                      # required; Markdown: the scenario, what the endpoint
//	  ...                         #   must return, the limit
//	endpoint:                     # required
//	  method: GET                 #   GET (default), POST, PUT, PATCH or DELETE
//	  path: /api/orders           #   required; starts with /
//	data:
//	  size: 100                   # the number of parent rows (orders); default 100, at least 1
//	  scaling: [10, 1000]         # other sizes the statement count is measured at; default size/10 and size*10
//	limits:                       # required
//	  statements: 2               #   required; data statements per request, at least 1
//	  p95: 100ms                  #   required; 95th percentile response time, more than 0
//	  rtt: 5ms                    #   simulated database round trip; default 0, not negative
//	latency:
//	  warmup: 2                   # untimed requests; default 2, at least 0
//	  requests: 10                # timed requests; default 20, at least 1
//
// Flow style works too: "limits: {statements: 2, p95: 100ms, rtt: 5ms}".
// Durations are Go durations with a unit ("100ms", "1.5s"). Unknown fields,
// repeated fields and values of the wrong type are errors. A missing
// required field is reported at the line of the mapping that lacks it.
//
// # The seed contract
//
// The grader creates the schema by running schema.sql as one simple-protocol
// query. Then, each time it (re)seeds the data, it runs in ONE transaction
//
//	BEGIN;
//	DELETE FROM <every table, referencing tables first>;
//	SELECT setseed(<a float in (0, 1)>);
//	SET LOCAL nplus1.size = '<n>';
//	<seed.sql>
//	COMMIT;
//
// as one multi-statement simple-protocol query. It reseeds several times in
// a grade (another seed for the fresh check, other sizes for the scaling
// check), so seed.sql must insert explicit ids rather than rely on
// sequences, and must not use statements that cannot run in a transaction
// block (VACUUM, CREATE DATABASE); ANALYZE is fine. seed.sql
// reads the size with current_setting('nplus1.size')::int and draws all its
// randomness from random(), so that the same seed and size give the same
// rows on the same PostgreSQL major version. To stay deterministic it
// evaluates random() only over generate_series, in order (a MATERIALIZED CTE
// is the usual way), and never sorts by random() a set whose order depends
// on the plan. It should hold the rows that careless fixes trip on: rows
// stored out of id order, text with quotes and non-ASCII letters, parents
// without children.
//
// expected.sql is a query that returns exactly one row with one json column:
// the whole expected response body for the seeded data, which the grader
// compares with the solution's response as JSON values. It must return an
// empty array, not NULL, when the tables are empty.
package challenges

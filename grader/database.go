package grader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/sqlshape"
)

// MaxSeed is the largest seed; seeds run from 1 to MaxSeed.
const MaxSeed = math.MaxInt32

// seedFloat maps a seed to the value setseed() takes, in (0, 1).
func seedFloat(seed int64) float64 { return float64(seed) / (MaxSeed + 1) }

// database is the grade's view of one Postgres instance: an admin
// connection for setup and checks, and the SELECT-only role the proxy
// connects as.
type database struct {
	admin    *pgx.Conn
	tables   []string // the challenge's tables, referencing ones first
	role     string
	password string
}

// openDatabase connects as the instance's admin.
func openDatabase(ctx context.Context, connString string) (*database, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &database{admin: conn}, nil
}

// createSchema runs the challenge's schema.sql and notes its tables in an
// order they can be emptied in (referencing tables first).
func (db *database) createSchema(ctx context.Context, ch *challenges.Challenge) error {
	if _, err := db.admin.Exec(ctx, ch.SchemaSQL); err != nil {
		return fmt.Errorf("create schema: %w", db.place(ctx, err, filepath.Join(ch.Source, "schema.sql"), ch.SchemaSQL, ""))
	}
	return db.listTables(ctx)
}

// listTables notes the tables of a database that holds a challenge's
// schema, in an order they can be emptied in (referencing tables first).
func (db *database) listTables(ctx context.Context) error {
	rows, err := db.admin.Query(ctx, `
SELECT c.relname, coalesce(array_agg(r.relname) FILTER (WHERE r.relname IS NOT NULL AND r.oid <> c.oid), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
LEFT JOIN pg_class r ON r.oid = k.confrelid
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
GROUP BY c.relname ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("list the challenge's tables: %w", err)
	}
	refs := map[string][]string{} // table -> the tables it references
	var names []string
	for rows.Next() {
		var name string
		var parents []string
		if err := rows.Scan(&name, &parents); err != nil {
			return fmt.Errorf("list the challenge's tables: %w", err)
		}
		names = append(names, name)
		refs[name] = parents
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list the challenge's tables: %w", err)
	}
	// Repeatedly take a table no remaining table references.
	for len(names) > 0 {
		next := -1
		for i, t := range names {
			referenced := false
			for _, other := range names {
				if other != t && slices.Contains(refs[other], t) {
					referenced = true
				}
			}
			if !referenced {
				next = i
				break
			}
		}
		if next < 0 {
			return fmt.Errorf("the challenge's tables reference each other in a cycle: %v", names)
		}
		db.tables = append(db.tables, names[next])
		names = slices.Delete(names, next, next+1)
	}
	return nil
}

// reseed replaces all the data with what seed.sql makes from seed and size,
// in one transaction, and returns the expected response for it. Rows are
// deleted rather than truncated, so that a solution's open transactions do
// not block it.
func (db *database) reseed(ctx context.Context, ch *challenges.Challenge, seed int64, size int) ([]byte, error) {
	var b strings.Builder
	b.WriteString("BEGIN;\n")
	for _, t := range db.tables {
		fmt.Fprintf(&b, "DELETE FROM %s;\n", pgx.Identifier{t}.Sanitize())
	}
	// One simple-protocol Exec, so setseed, the size and the seed SQL share a session.
	fmt.Fprintf(&b, "SELECT setseed(%v);\nSET LOCAL nplus1.size = '%d';\n", seedFloat(seed), size)
	before := b.String()
	fmt.Fprintf(&b, "%s\n;COMMIT;", ch.SeedSQL)
	if _, err := db.admin.Exec(ctx, b.String()); err != nil {
		db.admin.Exec(ctx, "ROLLBACK")
		return nil, fmt.Errorf("seed data (seed %d, size %d): %w", seed, size, db.place(ctx, err, filepath.Join(ch.Source, "seed.sql"), ch.SeedSQL, before))
	}
	return db.expected(ctx, ch)
}

// checksum digests every row of every table, to show the data unchanged.
func (db *database) checksum(ctx context.Context) (string, error) {
	var parts []string
	for _, t := range db.tables {
		var sum string
		sql := fmt.Sprintf("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM %s t", pgx.Identifier{t}.Sanitize())
		if err := db.admin.QueryRow(ctx, sql).Scan(&sum); err != nil {
			return "", fmt.Errorf("checksum %s: %w", t, err)
		}
		parts = append(parts, t+":"+sum)
	}
	return strings.Join(parts, " "), nil
}

// expected runs the challenge's expected.sql: one row, one JSON column.
func (db *database) expected(ctx context.Context, ch *challenges.Challenge) ([]byte, error) {
	file := filepath.Join(ch.Source, "expected.sql")
	rows, err := db.admin.Query(ctx, ch.ExpectedSQL, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, fmt.Errorf("compute the expected response: %w", atLine(err, file, ch.ExpectedSQL, ""))
	}
	defer rows.Close()
	if n := len(rows.FieldDescriptions()); n != 1 {
		return nil, fmt.Errorf("compute the expected response: %s returns %d columns; it must return one row of one json column", file, n)
	}
	var js []byte
	n := 0
	for rows.Next() {
		if n++; n == 1 {
			if err := rows.Scan(&js); err != nil {
				return nil, fmt.Errorf("compute the expected response (%s): %w", file, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compute the expected response: %w", atLine(err, file, ch.ExpectedSQL, ""))
	}
	switch {
	case n != 1:
		return nil, fmt.Errorf("compute the expected response: %s returns %d rows; it must return one row of one json column", file, n)
	case !json.Valid(js):
		return nil, fmt.Errorf("compute the expected response: %s returns a value that is not JSON: %.60q", file, js)
	}
	return js, nil
}

// createRole makes the login role the proxy connects as: it can read the
// challenge's tables and nothing else, and its statements time out.
func (db *database) createRole(ctx context.Context, statementTimeout time.Duration) error {
	var dbname string
	if err := db.admin.QueryRow(ctx, "SELECT current_database()").Scan(&dbname); err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	// Named after the database, so the url provider drops it with the
	// database even if this grade is killed before it can.
	db.role = dbname + "_solution"
	db.password = randomHex(16)
	role := pgx.Identifier{db.role}.Sanitize()
	sql := fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD '%[2]s' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT 300;
REVOKE TEMPORARY ON DATABASE %[3]s FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE %[3]s TO %[1]s;
GRANT USAGE ON SCHEMA public TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]s;
ALTER ROLE %[1]s SET statement_timeout = '%[4]dms';
ALTER ROLE %[1]s SET default_transaction_read_only = on;`, role, db.password, pgx.Identifier{dbname}.Sanitize(), statementTimeout.Milliseconds())
	if _, err := db.admin.Exec(ctx, sql); err != nil {
		db.role = ""
		return fmt.Errorf("create the solution's role: %w", err)
	}
	return nil
}

// roleConfig is how the proxy connects upstream: the instance's address and
// TLS settings with the SELECT-only role's credentials.
func (db *database) roleConfig(connString string) (*pgconn.Config, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("parse the instance's connection string: %w", err)
	}
	cfg.User, cfg.Password = db.role, db.password
	return cfg, nil
}

// close drops the role (on a shared server it would outlive the database)
// and closes the admin connection.
func (db *database) close(ctx context.Context) error {
	var err error
	if db.role != "" && !db.admin.IsClosed() {
		role := pgx.Identifier{db.role}.Sanitize()
		_, err = db.admin.Exec(ctx, fmt.Sprintf("DROP OWNED BY %[1]s; DROP ROLE %[1]s", role))
		if err != nil {
			err = fmt.Errorf("drop the solution's role %s: %w", db.role, err)
		}
	}
	db.admin.Close(ctx)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// place is atLine for err, the error of running sql on db after the
// statements before. An error the server gives no position for (a division
// by zero, a duplicate key) is placed by running the statements again, one
// by one, in a transaction that is rolled back: the first to fail is where
// it is.
func (db *database) place(ctx context.Context, err error, file, sql, before string) error {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Position == 0 {
		if line := db.failingLine(ctx, sql, before); line > 0 {
			return fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	return atLine(err, file, sql, before)
}

// failingLine runs before, then each statement of sql, in a transaction it
// rolls back, and returns the line of sql where the first statement to fail
// starts (0 if none fails).
func (db *database) failingLine(ctx context.Context, sql, before string) int {
	tx, err := db.admin.Begin(ctx)
	if err != nil {
		return 0
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if before != "" {
		if _, err := tx.Exec(ctx, before); err != nil {
			return 0
		}
	}
	from := 0
	for _, stmt := range sqlshape.Split(sql) {
		at := strings.Index(sql[from:], stmt)
		if at < 0 || stmt == "" {
			return 0
		}
		at += from
		from = at + len(stmt)
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return strings.Count(sql[:at+sqlshape.LeadingComments(stmt)], "\n") + 1
		}
	}
	return 0
}

// atLine places a server's error in the SQL file it came from, "file:line:
// error", from the position the server gives (a character offset into what
// was sent: before, then sql). Without a position it is "file: error".
func atLine(err error, file, sql, before string) error {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || pe.Position == 0 {
		return fmt.Errorf("%s: %w", file, err)
	}
	at := int(pe.Position) - 1 - utf8.RuneCountInString(before)
	runes := []rune(sql)
	if at < 0 || at > len(runes) {
		return fmt.Errorf("%s: %w", file, err)
	}
	line := strings.Count(string(runes[:at]), "\n") + 1
	return fmt.Errorf("%s:%d: %w", file, line, err)
}

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
	"sync/atomic"
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
	admin      *pgx.Conn
	connString string   // the admin's
	super      bool     // the admin is a superuser
	tables     []string // the challenge's tables, referencing ones first
	role       string
	password   string
	conns      int // the role's connection limit (createRole)
	// cancelled counts the role's statements watch cancelled.
	cancelled atomic.Int64
}

// openDatabase connects as the instance's admin.
func openDatabase(ctx context.Context, connString string) (*database, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	db := &database{admin: conn, connString: connString}
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&db.super); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("connect to postgres: read the role's attributes: %w", err)
	}
	return db, nil
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

// checksum digests every row of the challenge's tables: the data as the
// seed made it (the card's data digest).
func (db *database) checksum(ctx context.Context) (string, error) {
	var parts []string
	for _, t := range db.tables {
		sum, err := db.tableSum(ctx, pgx.Identifier{t}.Sanitize())
		if err != nil {
			return "", err
		}
		parts = append(parts, t+":"+sum)
	}
	return strings.Join(parts, " "), nil
}

func (db *database) tableSum(ctx context.Context, table string) (string, error) {
	var sum string
	sql := fmt.Sprintf("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM %s t", table)
	if err := db.admin.QueryRow(ctx, sql).Scan(&sum); err != nil {
		return "", fmt.Errorf("checksum %s: %w", table, err)
	}
	return sum, nil
}

// stateSum digests all of the database that a role could write: every
// table of every schema but the system's, the large objects, and the
// settings and default privileges stored for the role or the database. It
// is one line per part, "name: digest", for the read-only check to compare
// and name what changed.
func (db *database) stateSum(ctx context.Context) (string, error) {
	rows, _ := db.admin.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("checksum the database: %w", err)
	}
	var b strings.Builder
	for _, t := range tables {
		sum, err := db.tableSum(ctx, t)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "table %s: %s\n", t, sum)
	}
	var lo, settings, acl string
	err = db.admin.QueryRow(ctx, `SELECT
	(SELECT md5(coalesce(string_agg(format('%s %s %s', oid, lomowner, lomacl), E'\n' ORDER BY oid), '')) FROM pg_largeobject_metadata),
	(SELECT md5(coalesce(string_agg(format('%s %s %s', setdatabase, setrole, setconfig), E'\n' ORDER BY setdatabase, setrole), '')) FROM pg_db_role_setting
	 WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) OR setrole = (SELECT oid FROM pg_roles WHERE rolname = $1)),
	(SELECT md5(coalesce(string_agg(format('%s %s %s %s', defaclrole, defaclnamespace, defaclobjtype, defaclacl), E'\n' ORDER BY oid), '')) FROM pg_default_acl)`,
		db.role).Scan(&lo, &settings, &acl)
	if err != nil {
		return "", fmt.Errorf("checksum the database: %w", err)
	}
	fmt.Fprintf(&b, "large objects: %s\nstored settings: %s\ndefault privileges: %s\n", lo, settings, acl)
	return b.String(), nil
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

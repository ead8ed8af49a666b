package grader

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The solution's role's bounds. roleConnections is the proxy's own cap on
// its clients (proxy.Config.MaxConns's default): the role cannot hold more
// of a shared server's connections than the proxy lets the solution open.
// graderConnections is what a grade's grader holds of a server, its admin
// and watch connections, with a margin.
const (
	roleConnections   = 100
	graderConnections = 4
	roleTempFiles     = "16MB" // temp_file_limit, per session: ample for these tables' sorts; 100 sessions hold at most 1.6 GB
	roleWorkMem       = "4MB"  // work_mem, PostgreSQL's default
)

// connectionShare is how many connections a solution's role may hold on a
// server of maxConns connections, reserved of them for superusers, when
// jobs grades share it: roleConnections, or for a batch an equal share of
// what the graders leave, so that solutions holding all they may cannot
// leave another grade's solution none.
func connectionShare(maxConns, reserved, jobs int) int {
	if jobs <= 1 {
		return roleConnections
	}
	return max(1, min(roleConnections, (maxConns-reserved)/jobs-graderConnections))
}

// createRole makes the login role the proxy connects as. Read-only does not
// rest on default_transaction_read_only, which the role may turn off: it
// has no privilege to write, in any transaction. It can read the public
// schema's tables; it owns nothing, cannot create in a schema or make a
// temporary table, and cannot make or write a large object. It has at most
// roleConnections connections (in a batch of jobs grades at a time on one
// server, its share of the server's: connectionShare) and roleTempFiles
// of temporary files (a
// setting only a superuser can change); work_mem and statement_timeout are
// its defaults, which it can SET (watch holds the timeout all the same).
// set_config and DO are closed to it, so that a setting changes only by a
// SET statement or a startup parameter, both of which pass the proxy. So
// are the functions that run a query given as text or read a table given
// by name (query_to_xml and its kin, ts_stat, ts_rewrite with a query),
// which run a query per row inside one statement: an N+1 the wire shows
// as one. So are advisory locks: a session's, one per key, fill the
// server's shared lock table, and the grader's own statements failed "out
// of shared memory" (redteam8/advlock).
//
// The large objects, temp_file_limit, set_config, DO and those functions
// need a superuser:
// when the admin is not one they are left as they are and partial is true
// (the read-only check still sees a large object written).
func (db *database) createRole(ctx context.Context, statementTimeout time.Duration, jobs int) (partial bool, err error) {
	var (
		dbname             string
		maxConns, reserved int
	)
	if err := db.admin.QueryRow(ctx, "SELECT current_database(), current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int").Scan(&dbname, &maxConns, &reserved); err != nil {
		return false, fmt.Errorf("create role: %w", err)
	}
	db.conns = connectionShare(maxConns, reserved, jobs)
	// Named after the database, so the url provider drops it with the
	// database even if this grade is killed before it can.
	db.role = dbname + "_solution"
	db.password = randomHex(16)
	role := pgx.Identifier{db.role}.Sanitize()
	sql := fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD '%[2]s' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %[5]d;
REVOKE CREATE, TEMPORARY ON DATABASE %[3]s FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE %[3]s TO %[1]s;
GRANT USAGE ON SCHEMA public TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]s;
ALTER ROLE %[1]s SET statement_timeout = '%[4]dms';
ALTER ROLE %[1]s SET work_mem = '%[6]s';
ALTER ROLE %[1]s SET default_transaction_read_only = on;`,
		role, db.password, pgx.Identifier{dbname}.Sanitize(), statementTimeout.Milliseconds(), db.conns, roleWorkMem)
	if db.super {
		sql += fmt.Sprintf(`
ALTER ROLE %[1]s SET temp_file_limit = '%[2]s';
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_creat(integer), pg_catalog.lo_create(oid), pg_catalog.lo_from_bytea(oid, bytea),
	pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid), pg_catalog.lo_put(oid, bigint, bytea), pg_catalog.lowrite(integer, bytea),
	pg_catalog.lo_truncate(integer, integer), pg_catalog.lo_truncate64(integer, bigint), pg_catalog.lo_unlink(oid),
	pg_catalog.set_config(text, text, boolean),
	pg_catalog.query_to_xml(text, boolean, boolean, text), pg_catalog.query_to_xmlschema(text, boolean, boolean, text),
	pg_catalog.query_to_xml_and_xmlschema(text, boolean, boolean, text), pg_catalog.ts_stat(text), pg_catalog.ts_stat(text, text),
	pg_catalog.ts_rewrite(tsquery, text),
	pg_catalog.table_to_xml(regclass, boolean, boolean, text), pg_catalog.table_to_xmlschema(regclass, boolean, boolean, text),
	pg_catalog.table_to_xml_and_xmlschema(regclass, boolean, boolean, text),
	pg_catalog.cursor_to_xml(refcursor, integer, boolean, boolean, text), pg_catalog.cursor_to_xmlschema(refcursor, boolean, boolean, text),
	pg_catalog.schema_to_xml(name, boolean, boolean, text), pg_catalog.schema_to_xmlschema(name, boolean, boolean, text),
	pg_catalog.schema_to_xml_and_xmlschema(name, boolean, boolean, text),
	pg_catalog.database_to_xml(boolean, boolean, text), pg_catalog.database_to_xmlschema(boolean, boolean, text),
	pg_catalog.database_to_xml_and_xmlschema(boolean, boolean, text),
	pg_catalog.pg_advisory_lock(bigint), pg_catalog.pg_advisory_lock(integer, integer),
	pg_catalog.pg_advisory_lock_shared(bigint), pg_catalog.pg_advisory_lock_shared(integer, integer),
	pg_catalog.pg_advisory_xact_lock(bigint), pg_catalog.pg_advisory_xact_lock(integer, integer),
	pg_catalog.pg_advisory_xact_lock_shared(bigint), pg_catalog.pg_advisory_xact_lock_shared(integer, integer),
	pg_catalog.pg_try_advisory_lock(bigint), pg_catalog.pg_try_advisory_lock(integer, integer),
	pg_catalog.pg_try_advisory_lock_shared(bigint), pg_catalog.pg_try_advisory_lock_shared(integer, integer),
	pg_catalog.pg_try_advisory_xact_lock(bigint), pg_catalog.pg_try_advisory_xact_lock(integer, integer),
	pg_catalog.pg_try_advisory_xact_lock_shared(bigint), pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer) FROM PUBLIC;
REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;`, role, roleTempFiles)
	} else {
		// Without a superuser's say, watch can see and cancel the role's
		// statements only as one of its members.
		sql += fmt.Sprintf("\nGRANT %s TO CURRENT_USER;", role)
	}
	if _, err := db.admin.Exec(ctx, sql); err != nil {
		db.role = ""
		return false, fmt.Errorf("create the solution's role: %w", err)
	}
	return !db.super, nil
}

// watch cancels, until stop is called, every statement of the solution's
// role that has run longer than timeout: a statement_timeout the role
// cannot raise, as it can its own setting. It checks every second, on a
// connection of its own, and counts what it cancelled in db.cancelled. A
// statement the role's own setting still times out ends by that one first,
// with its clearer message.
func (db *database) watch(ctx context.Context, timeout time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := pgx.Connect(ctx, db.connString)
		if err != nil {
			return
		}
		defer conn.Close(context.WithoutCancel(ctx))
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var n int64
			err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) FROM pg_stat_activity
WHERE usename = $1 AND state = 'active' AND query_start < clock_timestamp() - $2 * interval '1 millisecond'`,
				db.role, (timeout + time.Second).Milliseconds()).Scan(&n)
			if err != nil {
				return
			}
			db.cancelled.Add(n)
		}
	}()
	return func() { cancel(); <-done }
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

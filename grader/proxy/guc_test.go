package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/grader/proxy"
)

// TestStartupParamsAllowList checks that the proxy forwards only the
// startup parameters that format values, not ones that raise the role's
// bounds: options=-c work_mem=1GB and statement_timeout=0 are dropped.
func TestStartupParamsAllowList(t *testing.T) {
	ctx := context.Background()
	_, url, direct := startProxy(t, 0, 1)
	d, err := pgx.ConnectConfig(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	show := func(c *pgx.Conn, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	c := connect(t, url+"&options=-c%20work_mem%3D1GB&statement_timeout=0&lock_timeout=0&application_name=learner&TimeZone=Asia/Tokyo")
	for _, name := range []string{"work_mem", "statement_timeout", "lock_timeout"} {
		if got, want := show(c, name), show(d, name); got != want {
			t.Errorf("SHOW %s through the proxy = %q, want the role's default %q", name, got, want)
		}
	}
	if got := show(c, "work_mem"); got == "1GB" {
		t.Errorf("work_mem = 1GB: options was forwarded")
	}
	if got := show(c, "application_name"); got != "learner" {
		t.Errorf("application_name = %q, want learner (allowed parameters are forwarded)", got)
	}
	if got := show(c, "TimeZone"); got != "Asia/Tokyo" {
		t.Errorf("TimeZone = %q, want Asia/Tokyo", got)
	}
}

// TestBoundsRefused checks that a statement raising the role's bounds is
// refused with 42501 naming the setting, in a Query (any of its statements)
// and in a Parse, that the server's state stays as if it had failed there,
// and that the refusal is counted as a failed statement in a round trip.
func TestBoundsRefused(t *testing.T) {
	ctx := context.Background()
	tr, url, _ := startProxy(t, 0, 1)
	c := connect(t, url)
	def := func() string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW work_mem", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	workMem := def()
	refused := func(err error, setting string) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" || pe.Message != "nplus1: the grader does not let a solution change "+setting {
			t.Fatalf("got %v, want 42501 naming %s", err, setting)
		}
	}
	simple := func(sql string) error {
		_, err := c.PgConn().Exec(ctx, sql).ReadAll()
		return err
	}
	for sql, setting := range map[string]string{
		"SET work_mem = '1GB'":                              "work_mem",
		"set session \"Work_Mem\" to '1GB'":                 "work_mem",
		"/* x */ SET LOCAL statement_timeout = 0":           "statement_timeout",
		"SELECT 1; SET lock_timeout TO 0; SELECT 2":         "lock_timeout",
		"SET max_parallel_workers_per_gather = 8":           "max_parallel_workers_per_gather",
		"ALTER ROLE reader SET work_mem = '1GB'":            "its role (ALTER ROLE)",
		"alter user current_user set statement_timeout = 0": "its role (ALTER USER)",
		// The server ends a -- comment at a carriage return too.
		"-- x\rSET work_mem = '1GB'": "work_mem",
		// work_mem's old name (testdata/redteam6/sortmem).
		"SET sort_mem = '1GB'": "sort_mem",
		// A name with Unicode escapes is decoded by the server only.
		`SET U&"standard_conforming_strings" = off`: `a setting named with Unicode escapes (U&"..."): write the name plainly`,
		`set session u&"wor\006b_mem" TO '1GB'`:     `a setting named with Unicode escapes (U&"..."): write the name plainly`,
	} {
		m := tr.Mark()
		refused(simple(sql), setting)
		stmts, rounds := tr.Since(m)
		want := "42501: nplus1: the grader does not let a solution change " + setting
		if len(stmts) != 1 || len(rounds) != 1 || stmts[0].Error != want || (strings.Contains(sql, ";") && stmts[0].SQL != "SET lock_timeout TO 0") {
			t.Errorf("%s: recorded %+v in %d round trips, want one refused statement in one", sql, stmts, len(rounds))
		}
		// Extended protocol: the Parse is refused, the Execute skipped.
		if !strings.Contains(sql, ";") {
			refused(c.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Read().Err, setting)
			_, err := c.PgConn().Prepare(ctx, "s1", sql, nil)
			refused(err, setting)
		}
	}
	if got := def(); got != workMem {
		t.Fatalf("work_mem = %s after refusals, want %s", got, workMem)
	}

	// In a transaction block the refusal fails the transaction, as an
	// error there does.
	if err := simple("BEGIN"); err != nil {
		t.Fatal(err)
	}
	refused(simple("SET work_mem = '1GB'"), "work_mem")
	var pe *pgconn.PgError
	if err := simple("SELECT 1"); !errors.As(err, &pe) || pe.Code != "25P02" {
		t.Fatalf("after a refusal in a transaction: %v, want 25P02", err)
	}
	if err := simple("ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	// What lowers or restores stays allowed, and so do other settings.
	for _, sql := range []string{"RESET work_mem", "RESET ALL", "DISCARD ALL", "SET search_path = public", "BEGIN READ ONLY; COMMIT", "SET application_name = 'x'",
		// READ WRITE too: drivers ask for it, and the role's grants keep it
		// from writing.
		"BEGIN READ WRITE; COMMIT", "SET TRANSACTION READ WRITE", "SET default_transaction_read_only = off"} {
		if err := simple(sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	if _, err := c.Exec(ctx, "SELECT count(*) FROM items"); err != nil {
		t.Fatal(err)
	}
	if p := tr.Problems(proxy.Mark{}); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

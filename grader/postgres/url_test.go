package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestURLSuite(t *testing.T) {
	server := startLocal(t)
	runProviderSuite(t, NewURL(server.ConnectionString()), func(t *testing.T, inst Instance) {
		db := inst.(*urlInstance).database
		conn, err := pgx.Connect(t.Context(), server.ConnectionString())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var dbs, roles int
		err = conn.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM pg_database WHERE datname = $1),
			(SELECT count(*) FROM pg_roles WHERE strpos(rolname, $1) = 1)`, db).Scan(&dbs, &roles)
		if err != nil {
			t.Fatal(err)
		}
		if dbs != 0 || roles != 0 {
			t.Errorf("after Terminate: %d databases and %d roles named %s*, want none", dbs, roles, db)
		}
	})
}

func TestURLKeywordValue(t *testing.T) {
	server := startLocal(t)
	cfg, err := pgx.ParseConfig(server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	inst, err := NewURL(keywordValue(server, cfg.User, cfg.Password)).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Terminate(context.Background())
	conn, err := pgx.Connect(t.Context(), inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var db string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if db != inst.(*urlInstance).database {
		t.Errorf("connected to %q, want %q", db, inst.(*urlInstance).database)
	}
}

func TestURLBadURL(t *testing.T) {
	const secret = "s3cret-pw"
	for _, url := range []string{
		"",
		"postgres://nplus1:" + secret + "@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5",
		"postgres://nplus1:" + secret + "@127.0.0.1:%zz/postgres",
		"host=127.0.0.1 port=1 user=nplus1 password=" + secret + " sslmode=disable connect_timeout=5",
		"not a connection string",
	} {
		_, err := NewURL(url).Start(t.Context())
		if err == nil {
			t.Errorf("Start(%q) succeeded", url)
			continue
		}
		t.Logf("%s", err)
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "start url postgres: ") {
			t.Errorf("error %q does not say what failed", err)
		}
	}
}

func TestURLServerRefuses(t *testing.T) {
	server := startLocal(t)
	admin, err := pgx.Connect(t.Context(), server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "CREATE ROLE weak LOGIN PASSWORD 'weak-secret'"); err != nil {
		t.Fatal(err)
	}
	_, err = NewURL(keywordValue(server, "weak", "weak-secret")).Start(t.Context())
	if !errors.Is(err, ErrNotAvailable) || !strings.Contains(err.Error(), "CREATEDB and CREATEROLE") {
		t.Errorf("Start as a role without CREATEDB: %v, want ErrNotAvailable naming CREATEDB and CREATEROLE", err)
	}
	if err != nil && strings.Contains(err.Error(), "weak-secret") {
		t.Errorf("error shows the password: %v", err)
	}

	_, err = NewURL(keywordValue(server, "weak", "wrong-secret")).Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("Start with a wrong password: %v, want the server's message", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error shows the password: %v", err)
	}
}

// keywordValue is a keyword/value connection string for a local server.
func keywordValue(server Instance, user, password string) string {
	port := server.(*localInstance).port
	return fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable user=%s password=%s", port, user, password)
}

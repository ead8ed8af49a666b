package grader_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/grader"
	gradercheck "github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// A GORM Create per row through its statement cache, each Bind over the
// 1 MiB the proxy reads whole (testdata/gormbind): every INSERT counts as
// data, and the loop is an N+1 fed by the orders.
func TestTraceGORMLargeBinds(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gormbind")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "testdata/gormbind"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gormbind: %v\n%s", err, out)
	}
	schema := filepath.Join(dir, "notes.sql")
	if err := os.WriteFile(schema, []byte("CREATE TABLE notes (id serial PRIMARY KEY, order_id int NOT NULL, body text NOT NULL);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := grader.Trace(context.Background(), grader.TraceOptions{
		Command: []string{bin}, Provider: postgres.NewLocal(postgres.LocalOptions{}),
		Challenge: "orders-users", Size: 5, SchemaFiles: []string{schema},
		Stdout: &out, Stderr: &out,
	})
	if errors.Is(err, postgres.ErrNotAvailable) {
		pgtest.Need(t, "a local PostgreSQL", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.Contains(out.String(), "notes of at least 1572864 bytes") {
		t.Fatalf("gormbind exited %d, want 0 and notes of 1.5 MiB written:\n%s", res.ExitCode, &out)
	}
	if len(res.Problems) > 0 {
		t.Errorf("the proxy reported problems: %q", res.Problems)
	}
	var orders int64 = -1
	inserts := 0
	for _, s := range res.Statements {
		switch {
		case strings.HasPrefix(s.SQL, `SELECT * FROM "orders"`):
			orders = s.Rows
		case strings.HasPrefix(s.SQL, `INSERT INTO "notes"`):
			inserts++
			if !s.Data || s.Catalog || s.Error != "" {
				t.Errorf("INSERT not counted as a data statement that succeeded: %+v", s)
			}
		}
	}
	if orders < 3 || int64(inserts) != orders {
		t.Fatalf("%d orders read, %d INSERTs traced: want one INSERT per order, 3 or more", orders, inserts)
	}
	var found bool
	for _, f := range gradercheck.NPlusOne(res.Statements) {
		if strings.HasPrefix(f.Normalized, `insert into "notes"`) {
			found = true
			if int64(f.Count) != orders || !strings.Contains(f.Source, `from "orders"`) {
				t.Errorf("finding %+v: want %d runs fed by the orders", f, orders)
			}
		}
	}
	if !found {
		t.Errorf("no N+1 found for the INSERT per order: %+v", gradercheck.NPlusOne(res.Statements))
	}
}

package grader

import (
	"context"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/internal/pgtest"
)

// A server's error in a SQL file is placed at its file and line, also when
// the file was sent after other statements (the seed after setseed).
func TestSQLErrorsAtTheirLine(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	sql := "CREATE TABLE a (id int);\n\n-- the mistake:\nCREATE TABLE b (id int,);\n"
	for _, before := range []string{"", "SELECT 1;\nSELECT 2;\n"} {
		_, err := db.admin.Exec(ctx, before+sql)
		if err == nil {
			t.Fatal("the broken SQL ran")
		}
		got := atLine(err, "dir/schema.sql", sql, before).Error()
		if !strings.HasPrefix(got, "dir/schema.sql:4: ERROR: syntax error") {
			t.Errorf("before %q: %s, want it at dir/schema.sql:4", before, got)
		}
	}
}

// An error the server gives no position for is placed too: the statements
// are run again one by one to find the one that fails.
func TestRuntimeSQLErrorsAtTheirLine(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	sql := "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n\n-- the mistake:\nINSERT INTO a\n  VALUES (1);\nSELECT 1/0;\n"
	before := "BEGIN;\nSELECT setseed(0.5);\n"
	_, err := db.admin.Exec(ctx, before+sql+";COMMIT;")
	if err == nil {
		t.Fatal("the broken SQL ran")
	}
	db.admin.Exec(ctx, "ROLLBACK")
	got := db.place(ctx, err, "dir/seed.sql", sql, before).Error()
	if !strings.HasPrefix(got, "dir/seed.sql:5: ERROR: duplicate key value violates unique constraint") {
		t.Errorf("%s, want it at dir/seed.sql:5", got)
	}
	// Nothing of the search is left behind.
	var n int
	if err := db.admin.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'a'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table a: %d, %v; want it rolled back", n, err)
	}
}

// testDatabase is a database on a server of the test's own, closed with it.
func testDatabase(t *testing.T) *database {
	t.Helper()
	server := pgtest.Start(t)
	db, err := openDatabase(context.Background(), server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.close(context.Background()) })
	return db
}

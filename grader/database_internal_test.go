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
	server := pgtest.Start(t)
	ctx := context.Background()
	db, err := openDatabase(ctx, server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.close(ctx)
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

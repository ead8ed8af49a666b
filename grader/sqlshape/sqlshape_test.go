package sqlshape

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSameShape(t *testing.T) {
	groups := [][]string{
		{
			"SELECT name, email FROM users WHERE id = 1",
			"select name, email from users where id = $1",
			"SELECT name, email FROM users WHERE id = '7'",
			"SELECT name, email FROM users WHERE id IN (1, 2, 3)",
			"SELECT name, email FROM users WHERE id IN ($1,$2)",
			"SELECT name, email FROM users WHERE id = ANY($1)",
			"SELECT name, email FROM users WHERE id = ANY($1::int[])",
			"SELECT name, email FROM users WHERE id = ANY(ARRAY[1,2,3])",
			"SELECT name, email FROM users WHERE id = %s",
			"SELECT  name,\n\temail FROM users -- trailing comment\n WHERE id = 42",
			"/* app:orders */ SELECT name, email FROM users WHERE id = 1e3",
		},
		{
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = 'it''s'`,
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = E'it\'s'`,
			`SELECT o.id, u."Name" FROM orders o JOIN users u ON u.id = o.user_id WHERE o.product = $$x;y$$`,
		},
	}
	for _, g := range groups {
		want := Of(g[0])
		for _, sql := range g[1:] {
			if got := Of(sql); got != want {
				t.Errorf("shape of %q = %q, want %q (shape of %q)", sql, got.Normalized, want.Normalized, g[0])
			}
		}
	}
	if Of(`SELECT "Name" FROM users`) == Of(`SELECT "name" FROM users`) {
		t.Error("quoted identifiers that differ in case must not share a shape")
	}
	if Of("SELECT a FROM t WHERE x = 1") == Of("SELECT a FROM t WHERE y = 1") {
		t.Error("different columns must not share a shape")
	}
}

func TestNormalize(t *testing.T) {
	got := Normalize("SELECT name, email FROM users WHERE id IN (1, 2, 3) AND count(*) > 2")
	want := "select name, email from users where id = ? and count(*) > ?"
	if got != want {
		t.Errorf("Normalize = %q, want %q", got, want)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"BEGIN; SELECT 1;COMMIT;", []string{"BEGIN", "SELECT 1", "COMMIT"}},
		{"SELECT ';' ; SELECT \"a;b\" FROM t", []string{"SELECT ';'", `SELECT "a;b" FROM t`}},
		{"SELECT $$;$$; -- x;\nSELECT 2 /* ; */", []string{"SELECT $$;$$", "-- x;\nSELECT 2 /* ; */"}},
		{"SELECT E'\\';'; SELECT 3", []string{"SELECT E'\\';'", "SELECT 3"}},
		{"", []string{""}},
		{"-- ping", []string{""}},
		{" ; ; ", []string{""}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Split(tt.sql)); diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tt.sql, diff)
		}
	}
}

func TestIsData(t *testing.T) {
	tests := []struct {
		tag, sql string
		want     bool
	}{
		{"SELECT 3", "SELECT * FROM t", true},
		{"", "WITH x AS (SELECT 1) SELECT * FROM x", true},
		{"SELECT 1", "EXECUTE q(1)", true},
		{"INSERT 0 1", "INSERT INTO t VALUES (1)", true},
		{"", "(SELECT 1) UNION (SELECT 2)", true},
		{"BEGIN", "BEGIN", false},
		{"", "begin isolation level serializable", false},
		{"COMMIT", "COMMIT", false},
		{"SET", "SET search_path = public", false},
		{"SHOW", "SHOW server_version", false},
		{"DEALLOCATE ALL", "DEALLOCATE ALL", false},
		{"DISCARD ALL", "DISCARD ALL", false},
		{"", "-- ping", false},
		{"", "", false},
		{"PREPARE", "PREPARE q AS SELECT 1", false},
	}
	for _, tt := range tests {
		if got := IsData(tt.tag, tt.sql); got != tt.want {
			t.Errorf("IsData(%q, %q) = %v, want %v", tt.tag, tt.sql, got, tt.want)
		}
	}
}

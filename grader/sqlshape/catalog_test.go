package sqlshape

import "testing"

func TestCatalogOnly(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		// What drivers and ORMs send at start-up.
		{"select pg_catalog.version()", true}, // SQLAlchemy
		{"select current_schema()", true},     // SQLAlchemy
		{"SELECT t.oid, typarray FROM pg_type t JOIN pg_namespace ns ON typnamespace = ns.oid WHERE typname = 'hstore'", true}, // psycopg2's hstore probe
		{`SELECT a.attname
  FROM (
         SELECT indrelid, indkey, generate_subscripts(indkey, 1) idx
           FROM pg_index
          WHERE indrelid = '"orders"'::regclass
            AND indisprimary
       ) i
  JOIN pg_attribute a
    ON a.attrelid = i.indrelid
   AND a.attnum = i.indkey[i.idx]
 ORDER BY i.idx`, true}, // ActiveRecord's primary key
		{`SELECT a.attname, format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a LEFT JOIN pg_attrdef d ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE a.attrelid = '"orders"'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, true},
		{"SELECT c.relname FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY (current_schemas(false))", true},
		{"select table_name from information_schema.tables where table_schema = 'public'", true},
		{"SELECT * FROM pg_catalog.pg_type WHERE typname = $1", true},

		// Data, or not plainly the catalogs.
		{"SELECT id, name FROM users WHERE id = $1", false},
		{"SELECT u.id FROM users u JOIN pg_type t ON t.oid = u.id", false},
		{"SELECT * FROM pg_type WHERE oid IN (SELECT id FROM users)", false},
		{"WITH t AS (SELECT oid FROM pg_type) SELECT * FROM t", false}, // a CTE is not a catalog
		{"SELECT query_to_xml('select * from users', true, false, '') FROM pg_type LIMIT 1", false},
		{"SELECT pg_catalog.query_to_xml('select * from users', true, false, '')", false},
		{"SELECT table_to_xml('users', true, false, '')", false},
		{"SELECT ts_stat('select body from posts') FROM pg_class", false},
		{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'reader'", false},
		{"SELECT pg_sleep(1) FROM pg_type LIMIT 1", false},
		{"SELECT set_config('search_path', 'x', false)", false},
		{"SELECT 1", false},     // a ping is data as it always was
		{"SELECT now()", false}, // a function of no catalog
		{"SELECT version(), id FROM users", false},
		{"SELECT * FROM public.pg_type", false},
		{"SELECT * FROM pg_type FOR UPDATE", false},
		{"SELECT * INTO pg_x FROM pg_type", false},
		{"SHOW server_version", false}, // control, not a SELECT
		{"select pg_catalog.version(); select * from users", false},
		{"this is not sql pg_type", false},
	} {
		if got := CatalogOnly(c.sql); got != c.want {
			t.Errorf("CatalogOnly(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
}

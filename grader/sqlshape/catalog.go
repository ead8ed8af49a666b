package sqlshape

import (
	"strings"

	pgq "github.com/pganalyze/pg_query_go/v6"
	pgquery "github.com/wasilibs/go-pgquery"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// CatalogOnly reports whether a statement is a driver's or an ORM's look at
// the server rather than at the data: a SELECT that reads only PostgreSQL's
// system catalogs (every table it names is in pg_catalog or
// information_schema, or is an unqualified pg_* relation, which the server
// looks up in pg_catalog first), such as ActiveRecord's primary key lookup
// or SQLAlchemy's hstore probe; or a SELECT of no table that calls only
// functions describing the session (`select pg_catalog.version()`, `select
// current_schema()`). The grade counts these apart, as driver overhead.
//
// It is narrow on purpose, as a statement it accepts is never graded: the
// statement must parse as one SELECT, with no INTO and no locking clause,
// and call none of the functions that run a query given as text or read a
// table given by name (query_to_xml, table_to_xml, ts_stat, ...). A CTE
// name is not a catalog table, so a WITH over the catalogs is data. A
// statement longer than 16 KiB, or that the parser rejects, is not
// catalog-only.
func CatalogOnly(sql string) bool {
	if len(sql) > catalogMaxSQL || !mayReadCatalog(sql) {
		return false
	}
	if v, ok := catalogs.get(sql); ok {
		return v
	}
	var (
		tree *pgq.ParseResult
		err  error
	)
	if !withParser(func() { tree, err = pgquery.Parse(sql) }) || err != nil {
		return false
	}
	v := catalogTree(tree)
	catalogs.put(sql, v)
	return v
}

// catalogMaxSQL is the longest statement CatalogOnly parses.
const catalogMaxSQL = 16 << 10

var catalogs cache[bool]

// mayReadCatalog is the cheap test before the parser: the statement starts
// with SELECT and names something a catalog-only statement must name.
func mayReadCatalog(sql string) bool {
	if firstWord(firstToken(sql)) != "select" {
		return false
	}
	lower := strings.ToLower(sql)
	for _, w := range []string{"pg_", "information_schema", "version", "current_"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// sessionFunctions are the functions a SELECT of no table may call and
// still be catalog-only: they describe the server and the session.
var sessionFunctions = map[string]bool{
	"version": true, "current_schema": true, "current_schemas": true, "current_database": true,
	"current_setting": true, "pg_backend_pid": true, "pg_is_in_recovery": true,
	"getdatabaseencoding": true, "pg_client_encoding": true, "pg_postmaster_start_time": true,
}

// dataFunction reports whether a function runs a query given as text or
// reads a table given by name (a statement calling one reads data whatever
// tables it names), or acts rather than reads (sleeps, signals another
// backend, sets, locks, notifies): a statement calling one is no driver's
// look at the catalogs.
func dataFunction(name string) bool {
	for _, prefix := range []string{
		"query_to_", "ts_stat", "ts_rewrite", "dblink", "pg_read_", "lo_", "xpath", "pg_stat_statements",
		"pg_sleep", "pg_terminate_backend", "pg_cancel_backend", "set_config", "pg_advisory", "pg_try_advisory",
		"pg_notify", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal", "pg_create_", "pg_drop_",
		"pg_log_", "pg_promote", "pg_logical_", "pg_replication_", "nextval", "setval", "txid_current",
		"pg_current_xact_id",
	} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return strings.Contains(name, "_to_xml")
}

// catalogTree is CatalogOnly on a parsed statement.
func catalogTree(tree *pgq.ParseResult) bool {
	stmts := tree.GetStmts()
	if len(stmts) != 1 {
		return false
	}
	sel := stmts[0].GetStmt().GetSelectStmt()
	if sel == nil || sel.GetIntoClause() != nil || len(sel.GetLockingClause()) > 0 {
		return false
	}
	w := catalogWalk{ok: true}
	w.walk(stmts[0].GetStmt().ProtoReflect())
	switch {
	case !w.ok:
		return false
	case w.tables > 0:
		return true
	default:
		return w.calls > 0 && w.sessionOnly
	}
}

// catalogWalk collects what CatalogOnly looks at in a parse tree.
type catalogWalk struct {
	ok          bool // nothing seen so far makes the statement data
	tables      int  // catalog relations named
	calls       int  // functions called
	sessionOnly bool // every function called is a session function
}

func (w *catalogWalk) walk(m protoreflect.Message) {
	if !w.ok {
		return
	}
	switch n := m.Interface().(type) {
	case *pgq.RangeVar:
		schema, rel := strings.ToLower(n.GetSchemaname()), strings.ToLower(n.GetRelname())
		catalog := schema == "pg_catalog" || schema == "information_schema" || (schema == "" && strings.HasPrefix(rel, "pg_"))
		if !catalog || n.GetCatalogname() != "" {
			w.ok = false
			return
		}
		w.tables++
	case *pgq.FuncCall:
		name := funcName(n)
		if dataFunction(name) {
			w.ok = false
			return
		}
		if w.calls == 0 {
			w.sessionOnly = true
		}
		w.calls++
		w.sessionOnly = w.sessionOnly && sessionFunctions[name]
	case *pgq.SelectStmt:
		if n.GetIntoClause() != nil || len(n.GetLockingClause()) > 0 {
			w.ok = false
			return
		}
	case *pgq.SQLValueFunction:
		// current_user, current_schema without parentheses, ...: the session.
		if w.calls == 0 {
			w.sessionOnly = true
		}
		w.calls++
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() != protoreflect.MessageKind:
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				w.walk(list.Get(i).Message())
			}
		case !fd.IsMap():
			w.walk(v.Message())
		}
		return w.ok
	})
}

// funcName is a function call's name, lower case, without its schema.
func funcName(f *pgq.FuncCall) string {
	parts := f.GetFuncname()
	if len(parts) == 0 {
		return ""
	}
	return strings.ToLower(parts[len(parts)-1].GetString_().GetSval())
}

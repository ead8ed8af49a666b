package sqlshape

import (
	"strings"
	"sync"
	"sync/atomic"

	pgq "github.com/pganalyze/pg_query_go/v6"
	pgquery "github.com/wasilibs/go-pgquery"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The parser is libpg_query compiled to WebAssembly. go-pgquery compiles a
// fresh module (about a second of CPU, tens of MiB) for every call that
// finds its pool busy, so all calls go through one lock: one module,
// compiled once, reused.
var (
	parserMu sync.Mutex
	// parserBroken is set if the parser ever panics; from then on the
	// lexer does all the work.
	parserBroken atomic.Bool
	warmOnce     sync.Once
)

// Warm compiles the parser in the background, so that the first shape
// does not wait for it. Call it early, before starting Postgres; it
// returns at once, and calling it again does nothing.
func Warm() {
	warmOnce.Do(func() {
		go withParser(func() { pgquery.Fingerprint("SELECT 1") })
	})
}

// withParser runs f with the parser locked. It reports false when the
// parser is unusable or f panicked.
func withParser(f func()) (ok bool) {
	if parserBroken.Load() {
		return false
	}
	parserMu.Lock()
	defer parserMu.Unlock()
	defer func() {
		if recover() != nil {
			parserBroken.Store(true)
			ok = false
		}
	}()
	f()
	return true
}

// parsedFingerprint returns libpg_query's fingerprint of the statement,
// after rewriting constant arrays (ARRAY[1, 2]) to a parameter so that
// `= ANY(ARRAY[1, 2])` and `= ANY($1)` share it. ok is false when the
// statement does not parse.
func parsedFingerprint(sql string) (fp string, ok bool) {
	var err error
	ran := withParser(func() {
		if strings.Contains(strings.ToLower(sql), "array") {
			var tree *pgq.ParseResult
			if tree, err = pgquery.Parse(sql); err != nil {
				return
			}
			if rewriteArrays(tree.ProtoReflect()) {
				if canon, derr := pgquery.Deparse(tree); derr == nil {
					fp, err = pgquery.Fingerprint(canon)
					return
				}
			}
		}
		fp, err = pgquery.Fingerprint(sql)
	})
	return fp, ran && err == nil && fp != ""
}

// parsedNormalize returns the statement with its literals replaced by $n
// placeholders, as libpg_query (and pg_stat_statements) writes them.
func parsedNormalize(sql string) (n string, ok bool) {
	var err error
	ran := withParser(func() { n, err = pgquery.Normalize(sql) })
	return n, ran && err == nil
}

// parsedInsertRows returns how many rows the VALUES list of an INSERT
// holds, 0 for any other statement. ok is false when the statement does
// not parse as one statement.
func parsedInsertRows(sql string) (rows int, ok bool) {
	var (
		tree *pgq.ParseResult
		err  error
	)
	if !withParser(func() { tree, err = pgquery.Parse(sql) }) || err != nil || len(tree.GetStmts()) != 1 {
		return 0, false
	}
	ins := tree.GetStmts()[0].GetStmt().GetInsertStmt()
	return len(ins.GetSelectStmt().GetSelectStmt().GetValuesLists()), true
}

// parsedSplit splits a query string at the statement boundaries the parser
// reports. ok is false only when the parser is unusable; a query that does
// not parse is returned whole.
func parsedSplit(sql string) (stmts []string, ok bool) {
	var (
		tree *pgq.ParseResult
		err  error
	)
	if !withParser(func() { tree, err = pgquery.Parse(sql) }) {
		return nil, false
	}
	if err != nil {
		return []string{strings.TrimSpace(sql)}, true
	}
	for _, raw := range tree.GetStmts() {
		start := int(raw.GetStmtLocation())
		end := len(sql)
		if n := int(raw.GetStmtLen()); n > 0 {
			end = start + n
		}
		if start < 0 || start > end || end > len(sql) {
			return nil, false
		}
		stmts = append(stmts, strings.TrimSpace(sql[start:end]))
	}
	if len(stmts) == 0 {
		return []string{""}, true
	}
	return stmts, true
}

// rewriteArrays replaces, anywhere in the tree under m, every ARRAY[...]
// whose elements are all constants or parameters by a parameter. It
// reports whether it changed anything.
func rewriteArrays(m protoreflect.Message) bool {
	changed := false
	if n, isNode := m.Interface().(*pgq.Node); isNode {
		if arr := n.GetAArrayExpr(); arr != nil && constantList(arr.GetElements()) {
			n.Node = &pgq.Node_ParamRef{ParamRef: &pgq.ParamRef{Number: 1, Location: arr.GetLocation()}}
			return true
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() != protoreflect.MessageKind:
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				changed = rewriteArrays(list.Get(i).Message()) || changed
			}
		case !fd.IsMap():
			changed = rewriteArrays(v.Message()) || changed
		}
		return true
	})
	return changed
}

// constantList reports whether every node is a constant or a parameter,
// possibly cast, or a nested constant array.
func constantList(nodes []*pgq.Node) bool {
	for _, n := range nodes {
		for n.GetTypeCast() != nil {
			n = n.GetTypeCast().GetArg()
		}
		switch {
		case n.GetAConst() != nil, n.GetParamRef() != nil:
		case n.GetAArrayExpr() != nil && constantList(n.GetAArrayExpr().GetElements()):
		default:
			return false
		}
	}
	return true
}

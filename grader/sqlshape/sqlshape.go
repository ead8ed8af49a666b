// Package sqlshape turns SQL text into statement shapes: the same statement
// whatever its literals, so that `WHERE id = 1`, `WHERE id = $1`,
// `WHERE id = 'x'`, `WHERE id IN (1, 2, 3)`, `WHERE id IN ($1, $2)` and
// `WHERE id = ANY($1)` group together (one fingerprint), while each keeps
// a normalized text that shows it as written (`where id in (...3)`).
//
// Shapes come from PostgreSQL's own parser (libpg_query, compiled to
// WebAssembly and run by github.com/wasilibs/go-pgquery): the fingerprint
// is libpg_query's, the normalized text is its normalization. A statement
// the parser rejects falls back to a literal-scrubbing lexer, which never
// fails. The first use of the parser compiles it (a second or more): call
// Warm early, while something else is starting.
//
// The package also splits a simple-protocol Query holding several
// statements the way the server does, and tells data statements from
// control statements (BEGIN, SET, ...), which the grade counts apart as
// overhead. Every function is safe for concurrent use.
package sqlshape

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
)

// Shape is a statement's normalized form and a short stable fingerprint of it.
type Shape struct {
	// Normalized is the statement as written, with literals and parameters
	// replaced by "?", keywords lower-cased, comments dropped and
	// whitespace collapsed, and its value lists shortened visibly:
	// `select name from users where id in (...10)`. It is for showing;
	// statements of one fingerprint may differ in it (`= ?`, `in (...10)`,
	// `= any(?)`).
	Normalized string
	// Fingerprint is 16 hex digits. Two statements have the same
	// fingerprint when they differ only in literals, parameters, the
	// length of a value list, the form of a list of keys (`= 1`, `= $1`,
	// `IN (...)`, `= ANY($1)`), comments, case and whitespace.
	Fingerprint string
	// Parsed is set when the fingerprint comes from PostgreSQL's parser;
	// when the statement did not parse it is a digest of the statement
	// scrubbed of its literals, with its lists collapsed.
	Parsed bool
	// Values is how many values the statement's longest value list holds
	// (`IN (1, 2, 3)`, `ARRAY[$1, $2, $3]`: 3; a list of rows counts its
	// rows), 0 when it has none; -1 when it has none but compares with a
	// whole array (`= ANY($1)`, `= ANY('{1,2}')`), whose length the text
	// does not show. It is how many keys one run of a lookup carried,
	// as far as the text tells.
	Values int
	// InsertRows is how many rows the VALUES list of an INSERT holds; 0
	// for any other statement. Two or more make one batched write (a
	// multi-row INSERT: pgjdbc's rewritten batches, Django's bulk_create,
	// ActiveRecord's insert_all, GORM's Create of a slice), however many
	// rows: statements that differ only in it share a fingerprint.
	InsertRows int
}

// Of returns the shape of one statement.
func Of(sql string) Shape {
	if sh, ok := shapes.get(sql); ok {
		return sh
	}
	var sh Shape
	var rows int
	if n, ok := parsedNormalize(sql); ok {
		sh.Normalized, sh.Values, rows = display(n)
	} else {
		sh.Normalized, sh.Values, rows = display(sql)
	}
	sh.Fingerprint, sh.Parsed = fingerprint(sql)
	if verb := Verb(sql); verb == "INSERT" || verb == "WITH" {
		if n, ok := parsedInsertRows(sql); ok {
			sh.InsertRows = n
		} else if verb == "INSERT" {
			sh.InsertRows = rows // the lexer's count: rows of placeholders and literals only
		}
	}
	shapes.put(sql, sh)
	return sh
}

// fingerprint is the parser's fingerprint of sql; else, when sql is SQL as
// a driver logs it (`id = %s`) or with "?" markers, that of sql scrubbed
// with $1 for its markers; else a digest of sql scrubbed.
func fingerprint(sql string) (fp string, parsed bool) {
	if fp, ok := parsedFingerprint(sql); ok {
		return fp, true
	}
	key := scrub(sql)
	if fp, ok := parsedFingerprint(placeholders(key)); ok {
		return fp, true
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8]), false
}

// placeholders turns the "?" of a scrubbed statement into $1, which the
// parser accepts.
func placeholders(scrubbed string) string { return strings.ReplaceAll(scrubbed, "?", "$1") }

// Normalize returns the statement as Shape.Normalized shows it: every
// literal and parameter replaced by "?" (the parser finds the literals),
// value lists shortened to their length (`IN (...3)`, `ARRAY[...2]`; `=
// ANY(?)` as written), comments dropped and whitespace collapsed.
// Unquoted words are lower-cased; quoted identifiers keep their case.
func Normalize(sql string) string {
	if n, ok := parsedNormalize(sql); ok {
		text, _, _ := display(n)
		return text
	}
	text, _, _ := display(sql)
	return text
}

// Split splits a simple-protocol query string into its statements, the way
// the server will run them, each trimmed of surrounding whitespace. A query
// with no statement (empty, or only comments) yields one empty statement:
// the server answers it with EmptyQueryResponse. A query that does not
// parse is one statement: the server rejects it whole before running any
// of it.
//
// A query the lexer finds to hold one statement is returned without the
// parser, so the common case costs microseconds; so is a query whose shape
// (its text with literals scrubbed) the parser already split as the lexer
// does, as when a loop sends the same statements with other values.
func Split(sql string) []string {
	pieces := scrubSplit(sql)
	if len(pieces) <= 1 {
		return pieces
	}
	key := scrub(sql)
	if _, ok := lexerSplits.get(key); ok {
		return pieces
	}
	stmts, ok := parsedSplit(sql)
	if !ok {
		return pieces
	}
	if slices.Equal(stmts, pieces) {
		lexerSplits.put(key, true)
	}
	return stmts
}

// controlWords are the first words of statements that manage the session or
// transaction rather than read or write data.
var controlWords = map[string]bool{
	"begin": true, "start": true, "commit": true, "end": true, "rollback": true,
	"abort": true, "savepoint": true, "release": true, "prepare": true,
	"set": true, "reset": true, "show": true, "discard": true, "deallocate": true,
	"listen": true, "unlisten": true, "close": true,
}

// IsData reports whether a statement reads or writes data. The command tag
// the server returned decides when there is one (it names what actually
// ran, e.g. "SELECT 3" for an EXECUTE of a prepared SELECT); otherwise the
// statement's first word does. Empty statements (a pool's "-- ping") are
// not data. It uses the lexer only: the proxy calls it for every statement.
func IsData(tag, sql string) bool {
	word := firstWord(tag)
	if word == "" {
		word = firstWord(firstToken(sql))
	}
	if word == "" {
		return false
	}
	if word == "commit" && strings.HasPrefix(strings.ToLower(tag), "commit prepared") {
		return false
	}
	return !controlWords[word]
}

// Verb returns the statement's first keyword in upper case ("SELECT",
// "WITH", ...), or "" for an empty statement.
func Verb(sql string) string { return strings.ToUpper(firstWord(firstToken(sql))) }

// firstToken is the statement's first token, past comments and opening
// parentheses: "(SELECT 1) UNION ..." begins with SELECT.
func firstToken(sql string) string {
	for _, t := range lexN(sql, 64) {
		if t.text != "(" {
			return t.text
		}
	}
	return ""
}

// Deallocated reads a DEALLOCATE statement: the prepared statement it
// removes (as the server names it: unquoted names fold to lower case), or
// all of them. ok is false for any other statement.
func Deallocated(sql string) (name string, all, ok bool) {
	if !mayStartWith(sql, 'd') {
		return "", false, false
	}
	toks := lexN(sql, 3)
	if len(toks) < 2 || toks[0].text != "deallocate" {
		return "", false, false
	}
	t := toks[1]
	if t.text == "prepare" && len(toks) > 2 {
		t = toks[2]
	}
	switch {
	case t.text == "all":
		return "", true, true
	case strings.HasPrefix(t.text, `"`):
		return strings.ReplaceAll(strings.Trim(t.text, `"`), `""`, `"`), false, true
	case t.ident:
		return t.text, false, true
	}
	return "", false, false
}

// DiscardsAll reports whether a statement is DISCARD ALL, which drops
// every prepared statement and portal of the session.
func DiscardsAll(sql string) bool {
	if !mayStartWith(sql, 'd') {
		return false
	}
	toks := lexN(sql, 3)
	return len(toks) == 2 && toks[0].text == "discard" && toks[1].text == "all"
}

// mayStartWith reports whether sql's first word may begin with the lower
// case letter c. It is false only when the first byte past blanks is
// another ASCII letter, so that the proxy skips the lexer for nearly every
// statement it asks about DEALLOCATE and DISCARD; comments, parentheses and
// anything else leave the question to the lexer.
func mayStartWith(sql string, c byte) bool {
	s := strings.TrimLeft(sql, " \t\r\n\f\v")
	if s == "" {
		return false
	}
	if b := s[0] | 0x20; b >= 'a' && b <= 'z' {
		return b == c
	}
	return true
}

func firstWord(s string) string {
	s = strings.TrimLeft(s, " (")
	end := 0
	for end < len(s) && isWordPart(s[end]) {
		end++
	}
	return strings.ToLower(s[:end])
}

// cache remembers results for recent statements: a request often sends
// the same text many times, and the parser costs about 100 µs.
type cache[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

const (
	cacheEntries = 4096
	cacheMaxSQL  = 8 << 10 // longer statements are not kept
)

var (
	shapes cache[Shape]
	// lexerSplits holds the scrubbed text of multi-statement queries that
	// the parser split exactly as the lexer does.
	lexerSplits cache[bool]
)

func (c *cache[V]) get(sql string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[sql]
	return v, ok
}

func (c *cache[V]) put(sql string, v V) {
	if len(sql) > cacheMaxSQL {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= cacheEntries {
		c.m = make(map[string]V)
	}
	c.m[sql] = v
}

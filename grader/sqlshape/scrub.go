package sqlshape

import (
	"fmt"
	"strings"
)

// token is one lexical unit of SQL; literals are already "?".
type token struct {
	text  string
	ident bool // a word: keyword or identifier (quoted identifiers included)
}

// scrub is the literal-scrubbing normalizer used to group statements: the
// statement with every literal and parameter replaced by "?", `IN (?, ?)`,
// `= ANY(?)` and `= ANY(ARRAY[?, ?])` all written `= ?`, comments dropped
// and whitespace collapsed. Unquoted words are lower-cased; quoted
// identifiers keep their case. It never fails: the shapes of statements the
// parser rejects are digests of it.
func scrub(sql string) string { return render(collapse(lex(sql))) }

// display is the form of a statement shown to a reader: as scrub, but with
// the statement's own operators kept and its value lists shortened
// visibly, `IN (...10)` for ten values, `ARRAY[...3]` for three (a list of
// one value stays `IN (?)`); `= ANY(?)` stays as written. values is the
// length of the longest such list, 0 when there is none, -1 when there is
// none but the statement compares with a whole array (`= ANY($1)`), whose
// length the text does not show. A VALUES list of several rows shows its
// first and their number, `values (?, ?) ...64 rows`; rows is that number
// (0 without such a list).
func display(sql string) (text string, values, rows int) {
	toks, values, rows := shorten(lex(sql))
	return render(toks), values, rows
}

func render(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && needsSpace(toks[i-1], t) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// spacedBefore are the keywords after which a "(" opens a list or a
// subquery, not a function's arguments: `in (`, `exists (`, `values (`.
var spacedBefore = map[string]bool{
	"in": true, "exists": true, "values": true, "where": true, "and": true, "or": true,
	"not": true, "as": true, "on": true, "from": true, "join": true, "select": true,
	"lateral": true, "using": true, "when": true, "then": true, "else": true,
	"union": true, "intersect": true, "except": true, "all": true, "with": true,
	"materialized": true, "by": true, "is": true, "between": true, "case": true, "set": true,
}

func needsSpace(prev, cur token) bool {
	switch {
	case cur.text == "," || cur.text == ")" || cur.text == "." || cur.text == ";" || cur.text == "]":
		return false
	case prev.text == "(" || prev.text == "." || prev.text == "[" || prev.text == "::" || cur.text == "::":
		return false
	case cur.text == "(" && prev.ident && !spacedBefore[prev.text]:
		return false // function call: count(
	case cur.text == "[" && (prev.ident || prev.text == "?" || prev.text == "]" || prev.text == ")"):
		return false // array[, a[1], (f(x))[1]
	}
	return true
}

// collapse rewrites list forms of a value into one "= ?" so that a batched
// statement and a single-value statement have the same shape.
func collapse(in []token) []token {
	out := make([]token, 0, len(in))
	for i := 0; i < len(in); i++ {
		t := in[i]
		// IN ( ? , ? , ... ) -> = ?
		if t.text == "in" {
			if end, _, ok := valueList(in, i+1); ok {
				out = append(out, token{text: "="}, token{text: "?"})
				i = end
				continue
			}
		}
		// = ANY ( ? ) / = ANY ( ARRAY [ ? , ? ] ) -> = ?
		if (t.text == "any" || t.text == "some") && len(out) > 0 && out[len(out)-1].text == "=" {
			if end, _, ok := anyArg(in, i+1); ok {
				out = append(out, token{text: "?"})
				i = end
				continue
			}
		}
		// ARRAY [ ? , ? ] -> ?
		if t.text == "array" {
			if end, _, ok := bracketList(in, i+1); ok {
				out = append(out, token{text: "?"})
				i = end
				continue
			}
		}
		// ?::type casts of a placeholder stay a placeholder.
		out = append(out, t)
	}
	return out
}

// shorten writes the value lists of a statement with their length, for
// display: IN ( ? , ? , ? ) -> IN ( ...3 ), ARRAY [ ? , ? ] -> ARRAY [ ...2 ].
// It returns the longest list's length and the rows of a VALUES list of
// several (see display).
func shorten(in []token) ([]token, int, int) {
	out := make([]token, 0, len(in))
	longest, wholeArray, rows := 0, false, 0
	list := func(open, close string, n int) {
		text := "?"
		if n > 1 {
			text = fmt.Sprintf("...%d", n)
		}
		out = append(out, token{text: open}, token{text: text}, token{text: close})
		longest = max(longest, n)
	}
	for i := 0; i < len(in); i++ {
		t := in[i]
		if t.text == "values" {
			if first, end, n := valueRows(in, i+1); n > 1 {
				out = append(out, in[i:first+1]...)
				out = append(out, token{text: fmt.Sprintf("...%d", n)}, token{text: "rows", ident: true})
				rows = max(rows, n)
				i = end
				continue
			}
		}
		if t.text == "in" {
			if end, n, ok := valueList(in, i+1); ok {
				out = append(out, t)
				list("(", ")", n)
				i = end
				continue
			}
		}
		if t.text == "array" {
			if end, n, ok := bracketList(in, i+1); ok && n > 0 {
				out = append(out, t)
				list("[", "]", n)
				i = end
				continue
			}
		}
		if (t.text == "any" || t.text == "some") && len(out) > 0 && out[len(out)-1].text == "=" {
			if _, n, ok := anyArg(in, i+1); ok && n < 0 {
				wholeArray = true
			}
		}
		out = append(out, t)
	}
	if longest == 0 && wholeArray {
		longest = -1
	}
	return out, longest, rows
}

// valueRows matches the rows of a VALUES list, "( ? , ? ) , ( ? , ? ) ...",
// starting at in[i]: it returns the index of the first row's closing
// parenthesis, that of the last row's, and the number of rows (0 when
// in[i] starts none).
func valueRows(in []token, i int) (first, end, n int) {
	for {
		e, _, ok := valueList(in, i)
		if !ok {
			return first, end, n
		}
		if n == 0 {
			first = e
		}
		end, n = e, n+1
		if e+1 >= len(in) || in[e+1].text != "," {
			return first, end, n
		}
		i = e + 2
	}
}

// valueList matches "( v [, v]... )" starting at in[i], where each v is
// "?" (maybe cast) or a row of them, "( ? , ? )"; it returns the index of
// the closing parenthesis and the number of values.
func valueList(in []token, i int) (end, n int, ok bool) {
	if i >= len(in) || in[i].text != "(" {
		return 0, 0, false
	}
	j := i + 1
	for j < len(in) {
		switch {
		case in[j].text == "?":
			j = skipCast(in, j+1)
		case in[j].text == "(":
			k, _, ok := valueList(in, j)
			if !ok {
				return 0, 0, false
			}
			j = k + 1
		default:
			return 0, 0, false
		}
		n++
		if j < len(in) && in[j].text == ")" {
			return j, n, true
		}
		if j >= len(in) || in[j].text != "," {
			return 0, 0, false
		}
		j++
	}
	return 0, 0, false
}

// bracketList matches "[ ? [, ?]... ]" (or "[ ]") starting at in[i], its
// elements maybe cast or nested lists; it returns the index of the
// closing bracket and the number of elements.
func bracketList(in []token, i int) (end, n int, ok bool) {
	if i >= len(in) || in[i].text != "[" {
		return 0, 0, false
	}
	j := i + 1
	for j < len(in) {
		switch in[j].text {
		case "]":
			return j, n, true
		case "?":
			n++
			j = skipCast(in, j+1)
		case "[":
			k, _, ok := bracketList(in, j)
			if !ok {
				return 0, 0, false
			}
			n++
			j = skipCast(in, k+1)
		case ",":
			j++
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// anyArg matches "( ? )" or "( ARRAY [ ... ] )", each with optional casts;
// n is the array's length, or -1 for a "?" (a whole array given as one
// value).
func anyArg(in []token, i int) (end, n int, ok bool) {
	if i >= len(in) || in[i].text != "(" {
		return 0, 0, false
	}
	j := i + 1
	switch {
	case j < len(in) && in[j].text == "?":
		j = skipCast(in, j+1)
		n = -1
	case j < len(in) && in[j].text == "array":
		k, m, ok := bracketList(in, j+1)
		if !ok {
			return 0, 0, false
		}
		j = skipCast(in, k+1)
		n = m
	default:
		return 0, 0, false
	}
	if j < len(in) && in[j].text == ")" {
		return j, n, true
	}
	return 0, 0, false
}

// skipCast skips "::type" and "::type[]" after a value.
func skipCast(in []token, j int) int {
	for j+1 < len(in) && in[j].text == "::" && in[j+1].ident {
		j += 2
		for j+1 < len(in) && in[j].text == "[" && in[j+1].text == "]" {
			j += 2
		}
	}
	return j
}

// lex splits SQL into tokens, dropping comments and turning every literal
// and parameter into "?".
func lex(sql string) []token { return lexN(sql, -1) }

// lexN is lex stopping after max tokens (max < 0: all of them).
func lexN(sql string, max int) []token {
	var toks []token
	s := sql
	for len(s) > 0 && len(toks) != max {
		if n := LeadingComments(s); n > 0 {
			s = s[n:]
			continue
		}
		c := s[0]
		switch {
		case c == '\'':
			s = s[quotedEnd(s, '\'', false):]
			toks = append(toks, token{text: "?"})
		case (c == 'e' || c == 'E') && len(s) > 1 && s[1] == '\'':
			s = s[1+quotedEnd(s[1:], '\'', true):]
			toks = append(toks, token{text: "?"})
		case (c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') && len(s) > 1 && s[1] == '\'':
			s = s[1+quotedEnd(s[1:], '\'', false):]
			toks = append(toks, token{text: "?"})
		case c == '"':
			end := quotedEnd(s, '"', false)
			toks = append(toks, token{text: s[:end], ident: true})
			s = s[end:]
		case c == '$' && len(s) > 1 && isDigit(s[1]):
			end := 1
			for end < len(s) && isDigit(s[end]) {
				end++
			}
			s = s[end:]
			toks = append(toks, token{text: "?"})
		case c == '$':
			if end, ok := dollarQuoteEnd(s); ok {
				s = s[end:]
				toks = append(toks, token{text: "?"})
				continue
			}
			toks = append(toks, token{text: "$"})
			s = s[1:]
		case c == '%' && len(s) > 1 && (s[1] == 's' || s[1] == '('):
			// Driver-side placeholders (%s, %(name)s) in logged SQL.
			end := 2
			if s[1] == '(' {
				if k := strings.Index(s, ")s"); k > 0 {
					end = k + 2
				}
			}
			s = s[end:]
			toks = append(toks, token{text: "?"})
		case isDigit(c) || (c == '.' && len(s) > 1 && isDigit(s[1])):
			end := 0
			for end < len(s) && (isDigit(s[end]) || s[end] == '.' || s[end] == '_' ||
				((s[end] == 'e' || s[end] == 'E') && end+1 < len(s)) ||
				((s[end] == '+' || s[end] == '-') && end > 0 && (s[end-1] == 'e' || s[end-1] == 'E'))) {
				end++
			}
			s = s[end:]
			toks = append(toks, token{text: "?"})
		case isWordStart(c):
			end := 0
			for end < len(s) && isWordPart(s[end]) {
				end++
			}
			toks = append(toks, token{text: strings.ToLower(s[:end]), ident: true})
			s = s[end:]
		case c == ':' && len(s) > 1 && s[1] == ':':
			toks = append(toks, token{text: "::"})
			s = s[2:]
		case c == '?':
			toks = append(toks, token{text: "?"})
			s = s[1:]
		default:
			// Operators: keep runs of operator characters together.
			end := 1
			if strings.IndexByte("+-*/<>=~!@#%^&|`", c) >= 0 {
				for end < len(s) && strings.IndexByte("+-*/<>=~!@#%^&|`", s[end]) >= 0 &&
					!strings.HasPrefix(s[end:], "--") && !strings.HasPrefix(s[end:], "/*") {
					end++
				}
			}
			toks = append(toks, token{text: s[:end]})
			s = s[end:]
		}
	}
	return toks
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isWordStart(c byte) bool { return c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isWordPart(c byte) bool  { return isWordStart(c) || isDigit(c) || c == '$' }

// quotedEnd returns the index just past the closing quote of a literal that
// starts at s[0]; a doubled quote is an escaped quote, and with backslash
// set, so is \'. An unterminated literal runs to the end.
func quotedEnd(s string, q byte, backslash bool) int {
	for i := 1; i < len(s); i++ {
		switch {
		case backslash && s[i] == '\\':
			i++
		case s[i] == q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(s)
}

// LeadingComments is the length of the blanks and comments (nested block
// comments included) that start sql, as the lexer skips them.
func LeadingComments(sql string) int {
	s := sql
	for len(s) > 0 {
		switch {
		case s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\f':
			s = s[1:]
		case strings.HasPrefix(s, "--"):
			s = s[lineCommentEnd(s):]
		case strings.HasPrefix(s, "/*"):
			s = s[blockCommentEnd(s):]
		default:
			return len(sql) - len(s)
		}
	}
	return len(sql)
}

// lineCommentEnd returns the index of the end of a -- comment: the server
// ends one at a carriage return as well as at a line feed, so a text the
// proxy read to the line feed hid from it a statement the server runs.
func lineCommentEnd(s string) int {
	if end := strings.IndexAny(s, "\r\n"); end >= 0 {
		return end
	}
	return len(s)
}

// blockCommentEnd returns the index just past a (possibly nested) /* */.
func blockCommentEnd(s string) int {
	depth := 0
	for i := 0; i+1 < len(s); i++ {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i++
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// dollarQuoteEnd matches $tag$...$tag$ at the start of s.
func dollarQuoteEnd(s string) (int, bool) {
	end := 1
	for end < len(s) && s[end] != '$' {
		if !isWordPart(s[end]) || s[end] == '$' {
			return 0, false
		}
		end++
	}
	if end >= len(s) {
		return 0, false
	}
	tag := s[:end+1]
	k := strings.Index(s[end+1:], tag)
	if k < 0 {
		return len(s), true
	}
	return end + 1 + k + len(tag), true
}

// scrubSplit splits a simple-protocol query string on semicolons outside
// literals, quoted identifiers, comments and dollar quotes. Pieces holding
// nothing but whitespace and comments are dropped, except that a query that
// is all empty yields one empty statement. It may split more finely than
// the server (a BEGIN ATOMIC function body), never less.
func scrubSplit(sql string) []string {
	var out []string
	start := 0
	s := sql
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case strings.HasPrefix(s[i:], "--"):
			i += lineCommentEnd(s[i:])
		case strings.HasPrefix(s[i:], "/*"):
			i += blockCommentEnd(s[i:])
		case c == '\'':
			backslash := i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')
			i += quotedEnd(s[i:], '\'', backslash)
		case c == '"':
			i += quotedEnd(s[i:], '"', false)
		case c == '$' && (i == 0 || !isWordPart(s[i-1])):
			if end, ok := dollarQuoteEnd(s[i:]); ok {
				i += end
			} else {
				i++
			}
		case c == ';':
			if piece := s[start:i]; !blank(piece) {
				out = append(out, strings.TrimSpace(piece))
			}
			i++
			start = i
		default:
			i++
		}
	}
	if piece := s[start:]; !blank(piece) {
		out = append(out, strings.TrimSpace(piece))
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

// blank reports whether a piece of SQL has nothing but whitespace and
// comments.
func blank(sql string) bool { return len(lex(sql)) == 0 }

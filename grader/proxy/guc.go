package proxy

import (
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/nplus1/nplus1/grader/sqlshape"
)

// bounds are the settings that bound what a solution's session spends or
// may do; a solution may not SET them (RESET puts back the role's own).
var bounds = map[string]bool{
	"work_mem":                            true,
	"hash_mem_multiplier":                 true,
	"maintenance_work_mem":                true,
	"temp_buffers":                        true,
	"max_parallel_workers_per_gather":     true,
	"statement_timeout":                   true,
	"lock_timeout":                        true,
	"idle_in_transaction_session_timeout": true,
	// The old names PostgreSQL still takes for work_mem and
	// maintenance_work_mem.
	"sort_mem":   true,
	"vacuum_mem": true,
}

// refusedSetting names what a statement of sql would change of the role's
// bounds, or returns "" if none does: SET [SESSION|LOCAL] of a bound, and
// ALTER ROLE or ALTER USER. READ WRITE is allowed: drivers ask for it
// (lib/pq's BeginTx), and the role's grants, not the transaction mode,
// keep it from writing.
func refusedSetting(sql string) string {
	for _, stmt := range sqlshape.Split(sql) {
		if s := refusedIn(stmt); s != "" {
			return s
		}
	}
	return ""
}

func refusedIn(stmt string) string {
	w := words(stmt, 64)
	if len(w) == 0 {
		return ""
	}
	switch w[0] {
	case "prepare":
		// A statement prepared in SQL is run later by name alone, and the
		// proxy would have to read its name and text as the server does
		// (U&"..." escapes and all). Drivers prepare with the protocol's
		// Parse, which the proxy reads whole.
		return "prepared statements in SQL (PREPARE): prepare with the protocol's Parse, as drivers do"
	case "alter":
		if len(w) > 1 && (w[1] == "role" || w[1] == "user") {
			return "its role (ALTER " + strings.ToUpper(w[1]) + ")"
		}
	case "set":
		i := 1
		if len(w) > i && (w[i] == "session" || w[i] == "local") {
			i++
		}
		if len(w) > i && w[i] == "u&" {
			// The server decodes the name; the proxy does not read it.
			return `a setting named with Unicode escapes (U&"..."): write the name plainly`
		}
		if len(w) > i && bounds[w[i]] {
			return w[i]
		}
		if len(w) > i && lexical[w[i]] != nil && !lexical[w[i]][settingValue(stmt)] {
			return w[i]
		}
	}
	return ""
}

// lexical are the settings that change how the server reads the SQL
// text, with the values that keep it read as the proxy reads it: UTF8,
// where no byte of a multibyte character is ASCII, and standard
// strings, where a backslash in '...' is a character. Any other value would
// let the server see statements the proxy does not (a quote escaped by a
// backslash only the server takes as one).
var lexical = map[string]map[string]bool{
	"client_encoding":             {"utf8": true, "utf-8": true, "unicode": true, "default": true},
	"names":                       {"utf8": true, "utf-8": true, "unicode": true, "default": true},
	"standard_conforming_strings": {"on": true, "true": true, "yes": true, "1": true, "default": true},
}

var setValue = regexp.MustCompile(`(?is)^set\s+(?:(?:session|local)\s+)?(?:"?[a-z_]+"?)\s*(?:to\b|=)?\s*(?:'([^'\\]*)'|"([^"]*)"|([a-z0-9_-]+))\s*;?\s*$`)

// settingValue is the value a SET statement gives, lower-cased, or "" when
// it is not one plain value (then lexical refuses it).
func settingValue(stmt string) string {
	stmt = strings.TrimSpace(stmt[sqlshape.LeadingComments(stmt):])
	m := setValue.FindStringSubmatch(stmt)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1] + m[2] + m[3])
}

// words returns the first max words and quoted identifiers of a statement,
// lower-cased; comments, strings and punctuation are skipped. A quoted
// identifier written with Unicode escapes, U&"...", is the word "u&" and
// then its text as written.
func words(s string, max int) []string {
	var out []string
	for len(s) > 0 && len(out) < max {
		s = s[sqlshape.LeadingComments(s):]
		if s == "" {
			break
		}
		c := s[0]
		switch {
		case isWordByte(c) && !(c >= '0' && c <= '9'):
			n := 1
			for n < len(s) && (isWordByte(s[n]) || s[n] == '$') {
				n++
			}
			word := strings.ToLower(s[:n])
			s = s[n:]
			if word == "u" && strings.HasPrefix(s, `&"`) {
				word, s = "u&", s[1:] // U&"...": a name with Unicode escapes follows
			}
			out = append(out, word)
		case c == '"':
			var b strings.Builder
			n := 1
			for n < len(s) {
				if s[n] == '"' {
					if n+1 < len(s) && s[n+1] == '"' {
						b.WriteByte('"')
						n += 2
						continue
					}
					break
				}
				b.WriteByte(s[n])
				n++
			}
			// GUC names match without case, even quoted.
			out = append(out, strings.ToLower(b.String()))
			s = s[min(n+1, len(s)):]
		case c == '\'':
			n := 1
			for n < len(s) {
				if s[n] == '\'' {
					if n+1 < len(s) && s[n+1] == '\'' {
						n += 2
						continue
					}
					break
				}
				n++
			}
			s = s[min(n+1, len(s)):]
		default:
			n := 1
			for n < len(s) && isWordByte(s[n]) && c >= '0' && c <= '9' {
				n++ // the rest of a number
			}
			s = s[n:]
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z') || (c >= '0' && c <= '9')
}

// refusedSQL is what the proxy sends the server in place of a refused
// statement: text that fails to parse, so that the server answers it with
// an error in line with everything else it answers, and a transaction
// block it is in fails as it would have. The account puts the proxy's
// error in place of the server's.
const refusedSQL = "nplus1 refused a statement"

// refusal is the body of the ErrorResponse the client gets for a statement
// that would change setting.
// refusalText is the message of a refusal: "nplus1: the grader does not
// let a solution change work_mem", or use what refusedIn names.
func refusalText(what string) string {
	if strings.HasPrefix(what, "prepared statements") {
		return "nplus1: the grader does not let a solution use " + what
	}
	return "nplus1: the grader does not let a solution change " + what
}

func refusal(setting string) []byte {
	b, _ := (&pgproto3.ErrorResponse{
		Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: "42501",
		Message: refusalText(setting),
	}).Encode(nil)
	return b[5:]
}

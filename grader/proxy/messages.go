package proxy

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A connection's end when the proxy refuses a message, and reading the
// parts of messages the accounting keeps (error text, COPY tags, C
// strings).

// refuse records that the proxy ends the connection over a client message
// of n bytes it will not hold, and prepares the FATAL error that tells the
// client (farewell).
func (a *account) refuse(typ byte, n int) {
	limit := "16 MiB of a Query, Parse, Execute, Describe or Close, or of a Bind's names"
	if n > maxMessage {
		limit = "1 GiB of any message, as PostgreSQL does"
	}
	msg := fmt.Sprintf("the grader's proxy refused a %s message of %d bytes: it reads at most %s", messageName(typ), n, limit)
	a.problem(msg)
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "54000", Message: msg}).Encode(nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.goodbye = b
}

// refuseSQL notes that the proxy ends the connection because its clients
// sent more SQL than it keeps (Config.MaxSQL).
func (a *account) refuseSQL(limit int64) {
	msg := fmt.Sprintf("the grader's proxy ended the connection: its clients sent more than %d bytes of Query and Parse messages in all, more than any grade needs", limit)
	a.problem(msg)
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "54000", Message: msg}).Encode(nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.goodbye = b
}

// farewell returns the FATAL error to send the client before closing, if
// the proxy refused a message of its (nil otherwise).
func (a *account) farewell() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.goodbye
}

// messageNames name the client messages that can be large.
var messageNames = map[byte]string{
	'Q': "Query", 'P': "Parse", 'B': "Bind", 'E': "Execute", 'D': "Describe",
	'C': "Close", 'F': "FunctionCall", 'd': "CopyData", 'f': "CopyFail",
}

func messageName(typ byte) string {
	if name, ok := messageNames[typ]; ok {
		return name
	}
	return fmt.Sprintf("%q", typ)
}

func (a *account) problem(p string) {
	a.trace.addProblem(fmt.Sprintf("conn %d: %s", a.conn, p))
}

// maxErrorText is the most of an error message a Statement keeps.
const maxErrorText = 4 << 10

// errorText returns "SQLSTATE: message" from an ErrorResponse body, or from
// its head when the rest streamed through, the message cut at
// maxErrorText bytes.
func errorText(body []byte) string {
	var code, msg []byte
	for len(body) > 0 && body[0] != 0 {
		field, value := body[0], body[1:]
		end := bytes.IndexByte(value, 0)
		if end < 0 {
			end = len(value) // cut off by the relay
		}
		switch field {
		case 'C':
			code = value[:end]
		case 'M':
			msg = value[:end]
		}
		body = value[min(end+1, len(value)):]
	}
	if code == nil && msg == nil {
		return "malformed ErrorResponse"
	}
	if len(msg) <= maxErrorText {
		return string(code) + ": " + string(msg)
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return string(code) + ": " + string(msg[:cut]) + "…"
}

// copyRows reads the row count of a COPY command tag ("COPY 42").
func copyRows(tag string) (int64, bool) {
	rest, ok := strings.CutPrefix(tag, "COPY ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// cstring returns the NUL-terminated string at the start of b.
func cstring(b []byte) string {
	s, _ := splitCString(b)
	return s
}

func splitCString(b []byte) (string, []byte) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i+1:]
}

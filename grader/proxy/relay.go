package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// maxMessage is the largest message either side may send (PostgreSQL's own
// limit is 1 GiB).
const maxMessage = 1 << 30

// decodeLimit is the largest Bind or FunctionCall the proxy reads whole to
// account for it; a longer one streams through, only its head read.
const decodeLimit = 1 << 20

// maxBuffered is the most of one client message the proxy holds in memory.
// A Query, Parse, Execute, Describe or Close is read whole to be accounted
// for, and so are a Bind's names: a longer one is refused.
const maxBuffered = 16 << 20

// DefaultMaxSQL is Config.MaxSQL's default: a grade's honest traffic is a
// few megabytes.
const DefaultMaxSQL = 512 << 20

// errorHead is how much of a server ErrorResponse the proxy reads; the
// rest streams through.
const errorHead = 64 << 10

// relayClient forwards the client's messages to the server until either
// side closes, accounting for each and delaying each new round trip by the
// simulated RTT. Bytes are forwarded as they came; each burst goes out in
// one write. A message too large to account for ends the connection: the
// account holds the FATAL error relayServer then sends the client.
func (p *Proxy) relayClient(acc *account, cr *bufio.Reader, client, server net.Conn) {
	cr = rebuffer(cr, socket(client))
	w := bufio.NewWriterSize(socket(server), 32<<10)
	var body []byte
	for {
		typ, n, err := readHeader(cr)
		if err != nil {
			if err != io.EOF && !isClosed(err) {
				acc.problem("client: " + err.Error())
			}
			return
		}
		if n > maxMessage || (readWhole(typ, n) && n > maxBuffered) {
			acc.refuse(typ, n)
			return
		}
		if (typ == 'Q' || typ == 'P') && p.sqlBytes.Add(int64(n)) > p.cfg.MaxSQL {
			acc.refuseSQL(p.cfg.MaxSQL)
			return
		}
		switch {
		case readWhole(typ, n):
			if body, err = readBody(cr, body, n); err != nil {
				acc.problem("client closed mid-message")
				return
			}
			if r := acc.client(typ, body, true); r != nil {
				writeMessage(w, typ, r) // a refused statement
			} else {
				writeMessage(w, typ, body)
			}
		case typ == 'B' || typ == 'F':
			// Too large to hold: the accounting reads its head, the rest
			// streams through.
			if body, err = readHead(cr, body, typ, n); err != nil {
				acc.problem("client closed mid-message")
				return
			}
			if len(body) == maxBuffered {
				acc.refuse(typ, n)
				return
			}
			acc.client(typ, body, false)
			writeHeader(w, typ, n)
			w.Write(body)
			err = copyBody(w, cr, n-len(body))
		default:
			acc.client(typ, nil, false)
			writeHeader(w, typ, n)
			err = copyBody(w, cr, n)
		}
		if err != nil {
			acc.problem("client closed mid-message")
			return
		}
		if cap(body) > decodeLimit {
			body = nil // hold no large buffer between messages
		}
		if cr.Buffered() > 0 {
			continue // more of the same burst is already here
		}
		if rtt := time.Duration(p.rtt.Load()); rtt > 0 && acc.startsRoundTrip() {
			time.Sleep(rtt)
		}
		acc.sent(time.Now())
		if w.Flush() != nil {
			return
		}
	}
}

// readWhole reports whether the accounting reads a client message whole.
func readWhole(typ byte, n int) bool {
	switch typ {
	case 'Q', 'P', 'E', 'D', 'C':
		return true
	case 'B', 'F':
		return n <= decodeLimit
	}
	return false
}

// readHead reads the head of a Bind or FunctionCall body of n bytes: a
// Bind's portal and statement names (two NUL-terminated strings, at most
// maxBuffered bytes), a FunctionCall's oid.
func readHead(r *bufio.Reader, buf []byte, typ byte, n int) ([]byte, error) {
	if typ == 'F' {
		return readBody(r, buf, min(n, 4))
	}
	buf = buf[:0]
	for names := 0; names < 2 && len(buf) < min(n, maxBuffered); {
		if _, err := r.Peek(1); err != nil {
			return buf, err
		}
		b, _ := r.Peek(min(min(n, maxBuffered)-len(buf), r.Buffered()))
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i+1]
			names++
		}
		buf = append(buf, b...)
		r.Discard(len(b))
	}
	return buf, nil
}

// relayServer forwards the server's messages to the client, accounting for
// each; result rows stream through without being decoded. What the server
// sent in one go goes out in one write.
func relayServer(acc *account, server, client net.Conn) {
	sr := bufio.NewReaderSize(socket(server), 32<<10)
	w := bufio.NewWriterSize(socket(client), 32<<10)
	var body []byte
	for {
		typ, n, err := readHeader(sr)
		if err != nil {
			if err != io.EOF && !isClosed(err) {
				acc.problem("server: " + err.Error())
			}
			if sr.Buffered() == 0 { // between two messages
				w.Write(acc.farewell())
			}
			w.Flush()
			return
		}
		switch typ {
		case 'C', 'E', 'Z':
			if n > maxMessage {
				acc.problem("server sent an oversized message")
				return
			}
			m := n
			if typ == 'E' {
				// Its code and the start of its message are enough: an
				// error can quote a value of any size.
				m = min(n, errorHead)
			}
			if body, err = readBody(sr, body, m); err != nil {
				return
			}
			if r := acc.server(typ, body); r != nil {
				writeMessage(w, typ, r) // the refusal of a statement
				if _, err := sr.Discard(n - m); err != nil {
					return
				}
				break
			}
			writeHeader(w, typ, n)
			w.Write(body)
			if err := copyBody(w, sr, n-m); err != nil {
				return
			}
		default:
			acc.server(typ, nil)
			writeHeader(w, typ, n)
			if err := copyBody(w, sr, n); err != nil {
				return
			}
		}
		if sr.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

func readHeader(r *bufio.Reader) (byte, int, error) {
	hdr, err := r.Peek(5)
	if err != nil {
		if len(hdr) > 0 && err == io.EOF {
			return 0, 0, io.ErrUnexpectedEOF
		}
		return 0, 0, err
	}
	typ := hdr[0]
	n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
	r.Discard(5)
	if n < 0 {
		return 0, 0, fmt.Errorf("invalid length %d in a %q message", n+4, typ)
	}
	return typ, n, nil
}

func readBody(r *bufio.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// copyBody copies the next n bytes of r to w through their buffers,
// without allocating.
func copyBody(w *bufio.Writer, r *bufio.Reader, n int) error {
	for n > 0 {
		if r.Buffered() == 0 {
			if _, err := r.Peek(1); err != nil {
				return err
			}
		}
		b, _ := r.Peek(min(n, r.Buffered()))
		if _, err := w.Write(b); err != nil {
			return err
		}
		r.Discard(len(b))
		n -= len(b)
	}
	return nil
}

// rebuffer returns a reader of what r holds buffered and then of c.
func rebuffer(r *bufio.Reader, c io.Reader) *bufio.Reader {
	if n := r.Buffered(); n > 0 {
		held, _ := r.Peek(n)
		c = io.MultiReader(bytes.NewReader(bytes.Clone(held)), c)
	}
	return bufio.NewReaderSize(c, 32<<10)
}

func writeHeader(w *bufio.Writer, typ byte, n int) {
	// Byte by byte: a [5]byte handed to Write would escape to the heap.
	l := uint32(n + 4)
	w.WriteByte(typ)
	w.WriteByte(byte(l >> 24))
	w.WriteByte(byte(l >> 16))
	w.WriteByte(byte(l >> 8))
	w.WriteByte(byte(l))
}

func writeMessage(w *bufio.Writer, typ byte, body []byte) {
	writeHeader(w, typ, len(body))
	w.Write(body)
}

// isClosed reports an error from reading a connection that was closed on
// purpose (by the other relay direction or by Proxy.Close).
func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

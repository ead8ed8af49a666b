package proxy

import (
	"bufio"
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

// decodeLimit is the largest body the proxy reads whole to account for it;
// longer bodies are streamed through without being held in memory.
const decodeLimit = 1 << 20

// relayClient forwards the client's messages to the server until either
// side closes, accounting for each and delaying each new round trip by the
// simulated RTT. Bytes are forwarded as they came.
func (p *Proxy) relayClient(acc *account, cr *bufio.Reader, client, server net.Conn) {
	w := bufio.NewWriterSize(server, 32<<10)
	var body []byte
	for {
		typ, n, err := readHeader(cr)
		if err != nil {
			if err != io.EOF && !isClosed(err) {
				acc.problem("client: " + err.Error())
			}
			return
		}
		if n > maxMessage {
			acc.problem(fmt.Sprintf("client sent a %d-byte message; closing", n))
			return
		}
		if needsBody(typ, n) {
			if body, err = readBody(cr, body, n); err != nil {
				acc.problem("client closed mid-message")
				return
			}
			acc.client(typ, body)
			writeMessage(w, typ, body)
		} else {
			acc.client(typ, nil)
			writeHeader(w, typ, n)
			if _, err := io.CopyN(w, cr, int64(n)); err != nil {
				acc.problem("client closed mid-message")
				return
			}
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

// needsBody reports whether the accounting reads a client message's body.
func needsBody(typ byte, n int) bool {
	switch typ {
	case 'Q', 'P', 'E', 'D', 'C':
		return true
	case 'B':
		return n <= decodeLimit
	}
	return false
}

// relayServer forwards the server's messages to the client, accounting for
// each; result rows stream through without being decoded.
func relayServer(acc *account, server, client net.Conn) {
	sr := bufio.NewReaderSize(server, 32<<10)
	w := bufio.NewWriterSize(client, 32<<10)
	var body []byte
	for {
		typ, n, err := readHeader(sr)
		if err != nil {
			if err != io.EOF && !isClosed(err) {
				acc.problem("server: " + err.Error())
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
			if body, err = readBody(sr, body, n); err != nil {
				return
			}
			acc.server(typ, body)
			writeMessage(w, typ, body)
		default:
			acc.server(typ, nil)
			writeHeader(w, typ, n)
			if _, err := io.CopyN(w, sr, int64(n)); err != nil {
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

func writeHeader(w *bufio.Writer, typ byte, n int) {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(n+4))
	w.Write(hdr[:])
}

func writeMessage(w *bufio.Writer, typ byte, body []byte) {
	writeHeader(w, typ, len(body))
	w.Write(body)
}

// isClosed reports an error from reading a connection that was closed on
// purpose (by the other relay direction or by Proxy.Close).
func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

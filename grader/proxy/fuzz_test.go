package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader/sqlshape"
)

// The seed corpus in testdata/fuzz/ is recorded real traffic (see
// TestRecordFuzzSeeds in record_test.go): the messages pgx, database/sql,
// psycopg2, psycopg 3 and pgbench sent and received after the startup.
// Each seed is a pair: what the client sent, what the server answered.

// FuzzFraming feeds arbitrary bytes to both relay directions: the relay
// must end (at the end of the input at the latest) without panicking, and
// forward exactly a prefix of what it read, byte for byte; to the client,
// the proxy's own FATAL error may follow when it refused a message.
func FuzzFraming(f *testing.F) {
	warmParser()
	f.Add([]byte("Q\x00\x00\x00\x0dSELECT 1\x00X\x00\x00\x00\x04"), []byte("C\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05I"))
	f.Fuzz(func(t *testing.T, fromClient, fromServer []byte) {
		tr := &Trace{}
		acc := newAccount(tr, tr.newConn())
		p := &Proxy{}

		got := relayThrough(t, func(out net.Conn) {
			in := feed(fromClient)
			p.relayClient(acc, bufio.NewReader(in), in, out)
			in.Close()
		})
		refused := false // a refused statement goes upstream rewritten
		for _, o := range acc.queue {
			refused = refused || o.refused != nil
		}
		if !refused && !bytes.HasPrefix(fromClient, got) {
			t.Fatalf("client→server: forwarded %q, not a prefix of %q", got, fromClient)
		}
		got = relayThrough(t, func(out net.Conn) {
			in := feed(fromServer)
			relayServer(acc, in, out)
			in.Close()
		})
		if f := acc.farewell(); f != nil {
			got = bytes.TrimSuffix(got, f)
		}
		if !bytes.HasPrefix(fromServer, got) {
			t.Fatalf("server→client: forwarded %q, not a prefix of %q", got, fromServer)
		}
	})
}

// feed returns a connection that reads b and then the end of the stream.
func feed(b []byte) net.Conn {
	in, w := net.Pipe()
	go func() {
		w.Write(b)
		w.Close()
	}()
	return in
}

// relayThrough runs relay with a connection whose other end it reads, and
// returns what relay wrote. relay must return within a few seconds.
func relayThrough(t *testing.T, relay func(out net.Conn)) []byte {
	out, sink := net.Pipe()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(sink)
		got <- b
	}()
	done := make(chan struct{})
	go func() {
		relay(out)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay hung")
	}
	out.Close()
	return <-got
}

// FuzzAccounting feeds arbitrary message sequences to the accounting, in
// the order a conversation has them: a client burst up to its Query, Sync
// or Flush, then the server's answers up to ReadyForQuery. Whatever the
// messages, it must not panic, every statement must come from a server
// message that completes one, and the trace must stay consistent.
func FuzzAccounting(f *testing.F) {
	warmParser()
	f.Add([]byte("Q\x00\x00\x00\x0dSELECT 1\x00"), []byte("T\x00\x00\x00\x06\x00\x00D\x00\x00\x00\x06\x00\x00C\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05I"))
	f.Fuzz(func(t *testing.T, fromClient, fromServer []byte) {
		tr := &Trace{}
		acc := newAccount(tr, tr.newConn())
		client, server := messages(fromClient), messages(fromServer)
		completions := 0
		for len(client) > 0 || len(server) > 0 {
			for len(client) > 0 {
				m := client[0]
				client = client[1:]
				acc.client(m.typ, m.body, true)
				if m.typ == 'Q' || m.typ == 'S' || m.typ == 'H' || m.typ == 'F' {
					break
				}
			}
			acc.startsRoundTrip()
			acc.sent(time.Now())
			for len(server) > 0 {
				m := server[0]
				server = server[1:]
				switch m.typ {
				case 'C', 'I', 'E', '2', '3', 'Z', 's', 'V':
					completions++ // the messages that can end a statement
				}
				acc.server(m.typ, m.body)
				if m.typ == 'Z' {
					break
				}
			}
		}
		stmts, rounds := tr.Since(Mark{})
		if len(stmts) > completions {
			t.Fatalf("%d statements from %d completing messages", len(stmts), completions)
		}
		for i, s := range stmts {
			if s.Seq != i+1 || s.Conn != 1 || s.Rows < 0 || s.Duration < 0 {
				t.Fatalf("statement %d is inconsistent: %+v", i, s)
			}
		}
		for _, r := range rounds {
			if r.Seq < 1 || r.Duration < 0 {
				t.Fatalf("round trip inconsistent: %+v", r)
			}
		}
	})
}

// warmParser compiles the SQL parser before fuzzing starts: in a fuzzing
// worker, built with coverage instrumentation, the first parse takes long
// enough to be taken for a hang.
func warmParser() { sqlshape.Split("SELECT 1; SELECT 2") }

type message struct {
	typ  byte
	body []byte
}

// messages cuts a byte stream into typed messages the way the relay does;
// a bad length ends the stream.
func messages(b []byte) []message {
	var out []message
	for len(b) >= 5 {
		n := int(binary.BigEndian.Uint32(b[1:5])) - 4
		if n < 0 || n > len(b)-5 {
			break
		}
		out = append(out, message{typ: b[0], body: b[5 : 5+n]})
		b = b[5+n:]
	}
	return out
}

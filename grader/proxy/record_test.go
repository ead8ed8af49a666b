package proxy_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recordEnv, when set, makes TestFidelity record the traffic of its
// workloads as the seed corpus of the fuzz tests:
//
//	NPLUS1_RECORD_FUZZ=1 go test -run TestFidelity ./grader/proxy/
const recordEnv = "NPLUS1_RECORD_FUZZ"

// seedLimit caps each recorded stream, cut at a message boundary, so that
// the fuzzer mutates seeds of a useful size.
const seedLimit = 16 << 10

// recorder is a TCP forwarder in front of the proxy that keeps the bytes
// of every connection, both ways.
type recorder struct {
	ln    net.Listener
	to    string
	mu    sync.Mutex
	conns []*recording
	wg    sync.WaitGroup
}

type recording struct {
	mu               sync.Mutex
	client, server   []byte
	clientDone, done chan struct{}
}

func newRecorder(t *testing.T, to string) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, to: to}
	go r.serve()
	t.Cleanup(func() {
		ln.Close()
		r.wg.Wait()
	})
	return r
}

func (r *recorder) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", r.to)
		if err != nil {
			c.Close()
			continue
		}
		rec := &recording{done: make(chan struct{})}
		r.mu.Lock()
		r.conns = append(r.conns, rec)
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(rec.done)
			var both sync.WaitGroup
			both.Add(2)
			pump := func(dst, src net.Conn, keep *[]byte) {
				defer both.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						rec.mu.Lock()
						*keep = append(*keep, buf[:n]...)
						rec.mu.Unlock()
						dst.Write(buf[:n])
					}
					if err != nil {
						dst.Close()
						src.Close()
						return
					}
				}
			}
			go pump(up, c, &rec.client)
			go pump(c, up, &rec.server)
			both.Wait()
		}()
	}
}

// save writes the connections recorded since the last save as seeds of
// both fuzz targets, named after the workload.
func (r *recorder) save(t *testing.T, name string) {
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	slug := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return '-'
	}, name)
	saved := 0
	for _, c := range conns {
		<-c.done
		client, server := afterStartup(c.client, c.server)
		if len(client) == 0 || saved == 2 {
			continue
		}
		saved++
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", cut(client), cut(server))
		for _, target := range []string{"FuzzFraming", "FuzzAccounting"} {
			dir := filepath.Join("testdata", "fuzz", target)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("recorded-%s-%d", slug, saved))
			if err := os.WriteFile(file, []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// afterStartup drops the startup exchange: SSL requests and their 'N',
// the startup packet and the password from the client; the server's
// messages up to its first ReadyForQuery.
func afterStartup(client, server []byte) ([]byte, []byte) {
	ssl := 0
	for len(client) >= 8 {
		n := int(binary.BigEndian.Uint32(client))
		if n < 8 || n > len(client) {
			return nil, nil
		}
		code := binary.BigEndian.Uint32(client[4:])
		client = client[n:]
		if code == 80877103 || code == 80877104 {
			ssl++
			continue
		}
		break // the startup packet
	}
	if len(client) > 5 && client[0] == 'p' {
		client = client[1+int(binary.BigEndian.Uint32(client[1:])):]
	}
	if len(server) < ssl {
		return nil, nil
	}
	server = server[ssl:]
	for len(server) >= 5 {
		typ := server[0]
		n := 1 + int(binary.BigEndian.Uint32(server[1:]))
		if n > len(server) {
			return nil, nil
		}
		server = server[n:]
		if typ == 'Z' {
			break
		}
	}
	return client, server
}

// cut shortens a stream to whole messages within seedLimit.
func cut(b []byte) []byte {
	end := 0
	for end+5 <= len(b) {
		n := 1 + int(binary.BigEndian.Uint32(b[end+1:]))
		if n < 5 || end+n > len(b) || end+n > seedLimit {
			break
		}
		end += n
	}
	return b[:end]
}

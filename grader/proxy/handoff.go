package proxy

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// handoffConn is the upstream connection as pgconn sees it while it
// connects and authenticates, until the proxy takes it over (Hijack).
//
// pgconn may leave a background read blocked on the connection: when a
// write during the startup is slow (15 ms, which a burst of connections on
// a small machine reaches), it starts a background reader, and stopping
// that reader does not interrupt a read already under way. That read would
// swallow the first bytes the server sends after the takeover: the answer
// to the client's first query, which the client would then wait for
// forever. detach wakes such a read and keeps what it got for the relay.
type handoffConn struct {
	net.Conn
	mu       sync.Mutex
	detached bool
	pending  []byte
	reading  sync.WaitGroup
}

func (c *handoffConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.detached {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	c.reading.Add(1)
	c.mu.Unlock()
	defer c.reading.Done()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.detached {
		c.pending = append(c.pending, p[:n]...)
		return 0, net.ErrClosed
	}
	return n, err
}

// detach ends pgconn's reads and returns the connection for the relay:
// the bare connection, or, when a stale read caught bytes, one that reads
// those first.
func (c *handoffConn) detach() (net.Conn, error) {
	c.mu.Lock()
	c.detached = true
	c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(time.Now()); err != nil { // wakes a blocked read
		return nil, err
	}
	c.reading.Wait()
	if err := c.Conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	if len(c.pending) == 0 {
		return c.Conn, nil
	}
	return &prefixedConn{Conn: c.Conn, r: io.MultiReader(bytes.NewReader(c.pending), c.Conn)}, nil
}

// prefixedConn reads bytes already received before reading its connection.
type prefixedConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// withHandoff makes cfg dial through a handoffConn, returned by the
// function it returns once pgconn has connected (nil if it never dialed).
func withHandoff(cfg *pgconn.Config) func() *handoffConn {
	dial := cfg.DialFunc
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	var last *handoffConn
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		last = &handoffConn{Conn: c}
		return last, nil
	}
	return func() *handoffConn { return last }
}

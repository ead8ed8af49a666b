package proxy

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Config configures a Proxy.
type Config struct {
	// Upstream is how the proxy connects to the real server, once per client
	// connection. The client never sees it. Listen copies it.
	Upstream *pgconn.Config
	// User and Password are what a client must present. The password is
	// asked for in cleartext (the proxy listens on loopback only).
	User, Password string
	// RTT is the simulated network round-trip time, added once per round
	// trip before the client's burst is forwarded.
	RTT time.Duration
	// MaxConns caps concurrent client connections (0: 100). Past the cap a
	// client gets a "too many connections" error, as from PostgreSQL.
	MaxConns int
	// Trace receives every statement and round trip. Required.
	Trace *Trace
	// MaxSQL bounds the bytes of Query and Parse messages the proxy takes
	// from its clients in all (0: DefaultMaxSQL): the trace keeps their
	// SQL, so this bounds the grader's memory. Past it a client's
	// connection ends with a FATAL error.
	MaxSQL int64
	// Listener, if not nil, is where the proxy serves (a loopback port in
	// a solution's sandbox); the proxy closes it. Nil: Listen listens on
	// 127.0.0.1 at a free port.
	Listener net.Listener
}

// Proxy is a tracing PostgreSQL proxy listening on 127.0.0.1.
type Proxy struct {
	cfg      Config
	rtt      atomic.Int64 // the simulated RTT in force, in nanoseconds
	upstream *pgconn.Config
	ln       net.Listener

	sqlBytes atomic.Int64 // Query and Parse bytes taken from clients (Config.MaxSQL)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 at a free port. Close it to stop it
// and every connection through it.
func Listen(cfg Config) (*Proxy, error) {
	if cfg.Trace == nil {
		return nil, errors.New("start proxy: no trace")
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 100
	}
	if cfg.MaxSQL == 0 {
		cfg.MaxSQL = DefaultMaxSQL
	}
	if cfg.Upstream == nil {
		return nil, errors.New("start proxy: no upstream")
	}
	up := cfg.Upstream.Copy()
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start proxy: %w", err)
		}
	}
	p := &Proxy{cfg: cfg, upstream: up, ln: ln, conns: map[net.Conn]struct{}{}}
	p.rtt.Store(int64(cfg.RTT))
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the address the proxy listens on.
func (p *Proxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// SetRTT changes the simulated round-trip time from the next round trip on
// (the grader measures statement counts without it, latency with it).
func (p *Proxy) SetRTT(d time.Duration) { p.rtt.Store(int64(d)) }

// Close stops accepting, closes every connection and waits for them to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track adds (or with add false removes) a connection to close on Close.
// It reports false when the proxy is closed already.
func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !add {
		delete(p.conns, c)
		return true
	}
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	sem := make(chan struct{}, p.cfg.MaxConns)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c, true) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.track(c, false)
			defer c.Close()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				p.handle(c)
			default:
				p.cfg.Trace.addProblem(fmt.Sprintf("refused a connection: more than %d at once", p.cfg.MaxConns))
				refuse(c, "53300", fmt.Sprintf("sorry, too many clients already (the grader allows %d connections)", p.cfg.MaxConns))
			}
		}()
	}
}

// forwarded are the startup parameters the proxy passes on upstream (by
// lower-case name: PostgreSQL matches setting names without case). They
// shape how values are formatted and named, not what the server spends.
// The rest are dropped, options (-c work_mem=..., -c statement_timeout=0)
// among them: the proxy connects as a role whose bounds a solution must not
// raise. user, database and password are the proxy's own, and so is
// client_encoding: always UTF8 (see handle).
var forwarded = map[string]bool{
	"application_name":   true,
	"datestyle":          true,
	"timezone":           true,
	"extra_float_digits": true,
	"search_path":        true,
	"intervalstyle":      true,
}

// startupTimeout bounds how long a client may take to authenticate.
const startupTimeout = 10 * time.Second

// handle runs one client connection from the startup packet to the end.
func (p *Proxy) handle(client net.Conn) {
	client.SetDeadline(time.Now().Add(startupTimeout))
	cr := bufio.NewReaderSize(client, 32<<10)
	params, ok := p.startup(client, cr)
	if !ok {
		return
	}
	cfg := p.upstream.Copy()
	for k := range cfg.RuntimeParams {
		if strings.EqualFold(k, "client_encoding") {
			delete(cfg.RuntimeParams, k)
		}
	}
	for k, v := range params {
		if forwarded[strings.ToLower(k)] {
			cfg.RuntimeParams[k] = v
		}
	}
	// The proxy splits and reads the client's SQL as the server does only
	// in an encoding where no byte of a multibyte character is ASCII (in
	// GB18030 or SJIS a backslash can end one): UTF8, whatever the client
	// asked for. refusedIn keeps it so.
	cfg.RuntimeParams["client_encoding"] = "UTF8"
	dialed := withHandoff(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	up, err := pgconn.ConnectConfig(ctx, cfg)
	cancel()
	if err != nil {
		p.cfg.Trace.addProblem("connect upstream: " + err.Error())
		refuse(client, "08006", "the grader could not reach its database: "+err.Error())
		return
	}
	hj, err := up.Hijack()
	if err != nil {
		up.Close(context.Background())
		refuse(client, "08006", "the grader could not take over its database connection")
		return
	}
	server := hj.Conn
	if h := dialed(); h != nil && server == net.Conn(h) { // not under TLS
		if server, err = h.detach(); err != nil {
			h.Close()
			refuse(client, "08006", "the grader could not take over its database connection")
			return
		}
	}
	defer server.Close()
	if !p.track(server, true) {
		return
	}
	defer p.track(server, false)

	var hello []byte
	hello, _ = (&pgproto3.AuthenticationOk{}).Encode(hello)
	for k, v := range hj.ParameterStatuses {
		hello, _ = (&pgproto3.ParameterStatus{Name: k, Value: v}).Encode(hello)
	}
	hello, _ = (&pgproto3.BackendKeyData{ProcessID: hj.PID, SecretKey: hj.SecretKey}).Encode(hello)
	hello, _ = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(hello)
	if _, err := client.Write(hello); err != nil {
		return
	}
	client.SetDeadline(time.Time{})

	acc := newAccount(p.cfg.Trace, p.cfg.Trace.newConn())
	done := make(chan struct{})
	go func() {
		defer close(done)
		relayServer(acc, server, client)
		if acc.farewell() != nil {
			linger(client)
		}
		client.Close()
	}()
	p.relayClient(acc, cr, client, server)
	server.Close()
	<-done
}

// startup reads the client's startup packets: it refuses SSL and GSS
// encryption with 'N', forwards a CancelRequest, and checks the password.
// It returns the startup parameters once the client is authenticated.
func (p *Proxy) startup(client net.Conn, cr *bufio.Reader) (map[string]string, bool) {
	for {
		body, err := readStartupPacket(cr)
		if err != nil {
			return nil, false
		}
		switch binary.BigEndian.Uint32(body) {
		case sslRequestCode, gssEncRequestCode:
			if _, err := client.Write([]byte{'N'}); err != nil {
				return nil, false
			}
		case cancelRequestCode:
			p.forwardCancel(body)
			return nil, false
		case pgproto3.ProtocolVersion30, pgproto3.ProtocolVersion32:
			var m pgproto3.StartupMessage
			if err := m.Decode(body); err != nil {
				refuse(client, "08P01", "invalid startup packet")
				return nil, false
			}
			return p.authenticate(client, cr, &m)
		default:
			refuse(client, "0A000", "unsupported frontend protocol: the grader speaks protocol 3.0")
			return nil, false
		}
	}
}

const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
)

func (p *Proxy) authenticate(client net.Conn, cr *bufio.Reader, m *pgproto3.StartupMessage) (map[string]string, bool) {
	var out []byte
	if m.ProtocolVersion != pgproto3.ProtocolVersion30 {
		out, _ = (&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0}).Encode(out)
	}
	out, _ = (&pgproto3.AuthenticationCleartextPassword{}).Encode(out)
	if _, err := client.Write(out); err != nil {
		return nil, false
	}
	typ, body, err := readMessage(cr, 4096)
	if err != nil || typ != 'p' {
		return nil, false
	}
	password := cstring(body)
	user := m.Parameters["user"]
	if subtle.ConstantTimeCompare([]byte(password), []byte(p.cfg.Password)) != 1 || user != p.cfg.User {
		refuse(client, "28P01", fmt.Sprintf("password authentication failed for user %q", user))
		return nil, false
	}
	return m.Parameters, true
}

// forwardCancel passes a CancelRequest on to the real server. The client
// holds the real backend's key, which the proxy handed it unchanged.
func (p *Proxy) forwardCancel(body []byte) {
	addr := net.JoinHostPort(p.upstream.Host, fmt.Sprint(p.upstream.Port))
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	packet := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	c.Write(append(packet, body...))
	// The server closes the connection once it has read the request.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
}

// linger lets the client read the FATAL error it was just sent before the
// connection closes: closing a socket with unread input resets it, and
// the reset can destroy the error on its way. It stops writing, then reads
// and drops what the client still sends, for a second at most.
func linger(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, c)
}

// refuse sends a FATAL ErrorResponse, as PostgreSQL does before closing.
func refuse(c net.Conn, code, msg string) {
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg}).Encode(nil)
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write(b)
}

// readStartupPacket reads a length-prefixed packet with no type byte.
func readStartupPacket(r *bufio.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < 8 || n > 10000 {
		return nil, fmt.Errorf("invalid startup packet length %d", n)
	}
	body := make([]byte, n-4)
	_, err := io.ReadFull(r, body)
	return body, err
}

// readMessage reads one typed message whose body is at most max bytes.
func readMessage(r *bufio.Reader, max int) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
	if n < 0 || n > max {
		return 0, nil, fmt.Errorf("invalid message length %d", n+4)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return hdr[0], body, err
}

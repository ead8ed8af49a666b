// Red team round 6: an N+1 whose lookups are not recorded at all.
//
// The proxy ties each answer of the server to the message it answers,
// first in, first out. A Describe with no body is one it could not read,
// and it did not wait for its answer; the server answers it all the same,
// with an error (08P01), and then skips every message up to the next
// Sync. Per connection, once, in one write:
//
//	Describe (no body), Query SHOW x, Sync
//
// The server answers the Describe's error and the Sync's ReadyForQuery;
// the proxy took the error for the Query's and the ReadyForQuery for the
// Query's too, and still waits for the Sync's: from then on it ties each
// answer to the message before. Each lookup is then one write, a Sync and
// a Query: the lookup's rows and CommandComplete went to the waiting Sync,
// which records no statement.
//
// No data statement is counted for the lookups: the request counts only
// its SELECT of the orders.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/jackc/pgx/v5"
)

type user struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type order struct {
	ID      int    `json:"id"`
	Product string `json:"product"`
	User    user   `json:"user"`
}

func msg(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return append(b, body...)
}

func cstr(s string) []byte { return append([]byte(s), 0) }

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func (rc rawConn) read() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(rc.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	b := make([]byte, int(binary.BigEndian.Uint32(hdr[1:]))-4)
	_, err := io.ReadFull(rc.r, b)
	return hdr[0], b, err
}

func rawConnect() (rawConn, error) {
	c, err := net.Dial("tcp", net.JoinHostPort(os.Getenv("PGHOST"), os.Getenv("PGPORT")))
	if err != nil {
		return rawConn{}, err
	}
	p := binary.BigEndian.AppendUint32(make([]byte, 4), 196608)
	for _, s := range []string{"user", os.Getenv("PGUSER"), "database", os.Getenv("PGDATABASE"), ""} {
		p = append(p, cstr(s)...)
	}
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	c.Write(p)
	rc := rawConn{c, bufio.NewReader(c)}
	for {
		t, b, err := rc.read()
		switch {
		case err != nil:
			return rc, err
		case t == 'R' && binary.BigEndian.Uint32(b) == 3:
			c.Write(msg('p', cstr(os.Getenv("PGPASSWORD"))))
		case t == 'E':
			return rc, fmt.Errorf("connect: %q", b)
		case t == 'Z':
			return rc, nil
		}
	}
}

// until reads up to ReadyForQuery: the first row's columns, and the error.
func (rc rawConn) until() (cols []string, fail error) {
	for {
		t, b, err := rc.read()
		if err != nil {
			return nil, err
		}
		switch t {
		case 'D':
			n := int(binary.BigEndian.Uint16(b))
			for b = b[2:]; n > 0; n-- {
				l := int(binary.BigEndian.Uint32(b))
				cols, b = append(cols, string(b[4:4+l])), b[4+l:]
			}
		case 'E':
			fail = fmt.Errorf("server: %q", b)
		case 'Z':
			return cols, fail
		}
	}
}

var sync_ = msg('S', nil)

func lookup(rc rawConn, id int) (user, error) {
	q := fmt.Sprintf("SELECT name, email FROM users WHERE id = %d", id)
	rc.c.Write(append(append([]byte(nil), sync_...), msg('Q', cstr(q))...))
	if _, err := rc.until(); err != nil {
		return user{}, err
	}
	cols, err := rc.until()
	if err != nil || len(cols) != 2 {
		return user{}, fmt.Errorf("lookup %d: %v %q", id, err, cols)
	}
	return user{ID: id, Name: cols[0], Email: cols[1]}, nil
}

const workers = 16

var lookups = make(chan rawConn, workers)

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	for i := 0; i < workers; i++ {
		rc, err := rawConnect()
		if err != nil {
			panic(err)
		}
		var out []byte
		for _, m := range [][]byte{msg('D', nil), msg('Q', cstr("SHOW x")), sync_} {
			out = append(out, m...)
		}
		rc.c.Write(out)
		if _, err := rc.until(); err == nil {
			panic("the empty Describe did not fail")
		}
		lookups <- rc
	}
	var mu sync.Mutex
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		rows, err := conn.Query(ctx, "SELECT id, user_id, product FROM orders ORDER BY id")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := []order{}
		for rows.Next() {
			var o order
			rows.Scan(&o.ID, &o.User.ID, &o.Product)
			out = append(out, o)
		}
		rows.Close()
		// One lookup per order, as the starter does, on 16 connections.
		var wg sync.WaitGroup
		errs := make([]error, len(out))
		for i := range out {
			wg.Add(1)
			c := <-lookups
			go func(i int) {
				defer wg.Done()
				defer func() { lookups <- c }()
				out[i].User, errs[i] = lookup(c, out[i].User.ID)
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

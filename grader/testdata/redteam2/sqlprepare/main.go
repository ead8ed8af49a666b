// Red team: an N+1 whose N lookups are counted as control statements.
//
// The proxy knows a prepared statement's SQL only from the client's Parse.
// A statement prepared with SQL (PREPARE, itself a control statement) has
// no SQL the proxy knows: a Bind to it runs "" as far as the proxy can
// tell, and a statement with no command tag and no SQL is not data
// (sqlshape.IsData("", "") is false). A command tag comes only with
// CommandComplete; an Execute limited to one row ends in PortalSuspended,
// which is recorded with no tag.
//
// Per connection, once: PREPARE u(int) AS SELECT name, email FROM users WHERE id = $1.
// Per lookup: Bind "" to u, Execute "" with at most 1 row, Sync:
// BindComplete, DataRow, PortalSuspended, ReadyForQuery. The Sync ends the
// implicit transaction and its portal: the statement never completes, and
// stays recorded as a control statement.
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
	"strconv"
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

var addr = net.JoinHostPort(os.Getenv("PGHOST"), os.Getenv("PGPORT"))

func msg(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return append(b, body...)
}

func readMsg(r *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return hdr[0], b, err
}

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func rawConnect() (rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return rawConn{}, err
	}
	var p []byte
	p = binary.BigEndian.AppendUint32(p, 0)
	p = binary.BigEndian.AppendUint32(p, 196608)
	for _, kv := range []string{"user", os.Getenv("PGUSER"), "database", os.Getenv("PGDATABASE")} {
		p = append(append(p, kv...), 0)
	}
	p = append(p, 0)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	c.Write(p)
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		t, b, err := readMsg(r)
		if err != nil {
			c.Close()
			return rawConn{}, err
		}
		switch t {
		case 'R':
			if binary.BigEndian.Uint32(b) == 3 {
				c.Write(msg('p', append([]byte(os.Getenv("PGPASSWORD")), 0)))
			}
		case 'E':
			c.Close()
			return rawConn{}, fmt.Errorf("connect: %q", b)
		case 'Z':
			return rawConn{c, r}, nil
		}
	}
}

// until reads messages up to ReadyForQuery, returning the first DataRow's
// columns and any error.
func (rc rawConn) until() ([][]byte, error) {
	var cols [][]byte
	var fail error
	for {
		t, b, err := readMsg(rc.r)
		if err != nil {
			return nil, err
		}
		switch t {
		case 'D':
			if cols == nil {
				n := int(binary.BigEndian.Uint16(b))
				b = b[2:]
				for i := 0; i < n; i++ {
					l := int(int32(binary.BigEndian.Uint32(b)))
					b = b[4:]
					cols = append(cols, b[:l])
					b = b[l:]
				}
			}
		case 'E':
			fail = fmt.Errorf("server: %q", b)
		case 'Z':
			return cols, fail
		}
	}
}

const workers = 16

var lookups = make(chan rawConn, workers)

func lookup(rc rawConn, id int) (user, error) {
	var bind []byte
	bind = append(bind, 0)       // portal ""
	bind = append(bind, "u"...)  // statement u, prepared by SQL
	bind = append(bind, 0, 0, 0) // no parameter formats
	bind = append(bind, 0, 1)    // one parameter
	v := strconv.Itoa(id)
	bind = binary.BigEndian.AppendUint32(bind, uint32(len(v)))
	bind = append(bind, v...)
	bind = append(bind, 0, 0) // no result formats
	var out []byte
	out = append(out, msg('B', bind)...)
	out = append(out, msg('E', []byte{0, 0, 0, 0, 1})...) // portal "", at most 1 row
	out = append(out, msg('S', nil)...)
	rc.c.Write(out)
	cols, err := rc.until()
	if err != nil {
		return user{}, err
	}
	if len(cols) != 2 {
		return user{}, fmt.Errorf("lookup %d: no row", id)
	}
	return user{ID: id, Name: string(cols[0]), Email: string(cols[1])}, nil
}

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
		rc.c.Write(msg('Q', []byte("PREPARE u(int) AS SELECT name, email FROM users WHERE id = $1\x00")))
		if _, err := rc.until(); err != nil {
			panic(err)
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
		var emu sync.Mutex
		var firstErr error
		for i := range out {
			wg.Add(1)
			c := <-lookups
			go func(i int) {
				defer wg.Done()
				defer func() { lookups <- c }()
				u, err := lookup(c, out[i].User.ID)
				if err != nil {
					emu.Lock()
					firstErr = err
					emu.Unlock()
					return
				}
				out[i].User = u
			}(i)
		}
		wg.Wait()
		if firstErr != nil {
			http.Error(w, firstErr.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

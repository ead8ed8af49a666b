// Red team round 3: file descriptors the grader inherited reach the sandbox.
//
// Neither the grader nor the sandbox's init process closes descriptors it
// did not open itself. Whatever the grader's parent left open without
// close-on-exec (a CI runner's pipe, a shell's redirection, a log file, a
// socket) is open in the sandboxed program too, outside every namespace.
// This honest single-query solution writes a line through descriptor 9
// when it is open; grade it as `nplus1 grade ... 9>>/tmp/rt3-fdleak.txt`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

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

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	if f := os.NewFile(9, "inherited"); f != nil {
		_, err := fmt.Fprintf(f, "written from inside the sandbox by uid %d\n", os.Getuid())
		fmt.Fprintln(os.Stderr, "fdleak: write to fd 9:", err)
	}
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
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

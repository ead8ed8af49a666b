// A wrong fix: an INNER JOIN with a LIMIT that drops orders.
package main

import (
	"context"
	"encoding/json"
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
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		rows, err := conn.Query(ctx, `SELECT o.id, o.product, u.id, u.name, u.email FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id LIMIT 50`)
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
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

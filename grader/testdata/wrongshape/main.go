// A wrong fix: the right orders, but the user flattened into the order.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		rows, _ := conn.Query(ctx, `SELECT o.id, o.product, u.name FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id`)
		type order struct {
			ID       int    `json:"id"`
			Product  string `json:"product"`
			UserName string `json:"user_name"`
		}
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[order])
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

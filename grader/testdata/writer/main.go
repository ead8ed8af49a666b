// A wrong fix: the right answer with one JOIN, but each request also tries
// to record itself in the database.
package main

import (
	"context"
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
		conn.Exec(ctx, `UPDATE users SET name = name WHERE id = 1`) // refused: the role can only SELECT
		var js []byte
		err := conn.QueryRow(ctx, `SELECT coalesce(json_agg(json_build_object('id', o.id, 'product', o.product,
			'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)) ORDER BY o.id), '[]')
			FROM orders o JOIN users u ON u.id = o.user_id`).Scan(&js)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(js)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

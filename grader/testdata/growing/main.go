// A wrong fix: users fetched with ANY in batches of 100 ids, so the number
// of statements grows with the data (2 at 100 orders, 4 at 1000).
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"

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
	userID  int
}

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		rows, _ := conn.Query(ctx, `SELECT id, product, user_id FROM orders ORDER BY id`)
		orders := []order{}
		var ids []int
		for rows.Next() {
			var o order
			rows.Scan(&o.ID, &o.Product, &o.userID)
			orders = append(orders, o)
			if !slices.Contains(ids, o.userID) {
				ids = append(ids, o.userID)
			}
		}
		users := map[int]user{}
		for batch := range slices.Chunk(ids, 100) {
			rows, _ := conn.Query(ctx, `SELECT id, name, email FROM users WHERE id = ANY($1)`, batch)
			for rows.Next() {
				var u user
				rows.Scan(&u.ID, &u.Name, &u.Email)
				users[u.ID] = u
			}
		}
		for i := range orders {
			orders[i].User = users[orders[i].userID]
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(orders)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

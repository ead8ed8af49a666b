// Command reference serves GET /api/orders: every order with its items, as
// JSON sorted by order id, each order's items sorted by item id.
//
// It is the fixed version of the starter. Instead of one query for the
// orders and then one query per order for its items (N+1 queries), a single
// query LEFT JOINs the items to the orders and lets Postgres aggregate each
// order's items into a JSON array, so a request costs one query and one
// round trip to the database however many orders there are.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type item struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Quantity int     `json:"quantity"`
	Note     *string `json:"note"` // nil (JSON null) when the customer left no note
}

type order struct {
	ID       int    `json:"id"`
	Customer string `json:"customer"`
	Items    []item `json:"items"` // never nil: an order without items has []
}

type server struct {
	db *pgxpool.Pool
}

// ordersSQL is the fix: one query for all orders and their items.
//
// The LEFT JOIN keeps the orders without items (an inner JOIN would drop
// them); they get one row of NULLs, which the FILTER leaves out of the
// aggregate, and coalesce turns the resulting NULL into an empty array.
// json_agg's ORDER BY sorts each order's items.
const ordersSQL = `
SELECT o.id,
       o.customer,
       coalesce(
           json_agg(
               json_build_object('id', i.id, 'name', i.name, 'quantity', i.quantity, 'note', i.note)
               ORDER BY i.id
           ) FILTER (WHERE i.id IS NOT NULL),
           '[]'
       ) AS items
FROM orders AS o
LEFT JOIN items AS i ON i.order_id = o.id
GROUP BY o.id
ORDER BY o.id`

func (s *server) listOrders(ctx context.Context) ([]order, error) {
	rows, err := s.db.Query(ctx, ordersSQL)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (order, error) {
		var o order
		// pgx decodes the json column into the []item.
		err := row.Scan(&o.ID, &o.Customer, &o.Items)
		return o, err
	})
}

func (s *server) handleOrders(w http.ResponseWriter, r *http.Request) {
	orders, err := s.listOrders(r.Context())
	if err != nil {
		log.Printf("list orders: %v", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(orders); err != nil {
		log.Printf("write response: %v", err)
	}
}

func main() {
	ctx := context.Background()
	db, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatalf("connect to database: %v", err)
	}
	defer db.Close()

	s := &server{db: db}
	http.HandleFunc("GET /api/orders", s.handleOrders)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

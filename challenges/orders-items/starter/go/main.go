// Command starter serves GET /api/orders: every order with its items, as
// JSON sorted by order id, each order's items sorted by item id.
//
// It has the N+1 query problem: one query fetches the N orders, then the
// loop in listOrders runs one more query per order to fetch its items, so
// 100 orders cost 101 queries and 101 round trips to the database. Fix it
// so that the number of queries stays the same however many orders there are.
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

func (s *server) listOrders(ctx context.Context) ([]order, error) {
	rows, err := s.db.Query(ctx, "SELECT id, customer FROM orders ORDER BY id")
	if err != nil {
		return nil, err
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order, error) {
		var o order
		err := row.Scan(&o.ID, &o.Customer)
		return o, err
	})
	if err != nil {
		return nil, err
	}

	for i := range orders {
		// One extra query per order: the N+1 problem.
		rows, err := s.db.Query(ctx,
			"SELECT id, name, quantity, note FROM items WHERE order_id = $1 ORDER BY id", orders[i].ID)
		if err != nil {
			return nil, err
		}
		orders[i].Items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[item])
		if err != nil {
			return nil, err
		}
	}
	return orders, nil
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

// Command starter serves GET /api/orders: every order with its items and
// each item's product, as JSON sorted by order id, each order's items
// sorted by item id.
//
// It has the N+1 query problem twice over: one query fetches the N orders,
// the loop in listOrders runs one query per order for its items, and the
// loop inside it runs one query per item for its product. 50 orders of 3
// items each cost 1 + 50 + 150 = 201 queries, each a round trip to the
// database. Fix it so that the number of queries stays the same however
// many orders and items there are.
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

type product struct {
	ID         int     `json:"id"`
	Name       string  `json:"name"`
	Brand      *string `json:"brand"` // nil (JSON null) for an unbranded product
	PriceCents int     `json:"price_cents"`
}

type item struct {
	ID       int     `json:"id"`
	Quantity int     `json:"quantity"`
	Product  product `json:"product"`
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
		// One extra query per order: the first N+1.
		rows, err := s.db.Query(ctx,
			"SELECT id, product_id, quantity FROM items WHERE order_id = $1 ORDER BY id", orders[i].ID)
		if err != nil {
			return nil, err
		}
		orders[i].Items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (item, error) {
			var it item
			err := row.Scan(&it.ID, &it.Product.ID, &it.Quantity)
			return it, err
		})
		if err != nil {
			return nil, err
		}

		for j := range orders[i].Items {
			// And one extra query per item: the second, nested N+1.
			p := &orders[i].Items[j].Product
			err := s.db.QueryRow(ctx,
				"SELECT name, brand, price_cents FROM products WHERE id = $1", p.ID).
				Scan(&p.Name, &p.Brand, &p.PriceCents)
			if err != nil {
				return nil, err
			}
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

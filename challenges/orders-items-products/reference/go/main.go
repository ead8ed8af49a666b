// Command reference serves GET /api/orders: every order with its items and
// each item's product, as JSON sorted by order id, each order's items
// sorted by item id.
//
// It is the fixed version of the starter. Instead of one query per order
// for its items and one per item for its product (1 + N + N·M queries), it
// runs one query per level, each fetching every row that level needs at
// once with = ANY($1), and puts the levels together in Go: three queries
// per request however many orders and items there are.
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
	// 1. The orders.
	rows, err := s.db.Query(ctx, "SELECT id, customer FROM orders ORDER BY id")
	if err != nil {
		return nil, err
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order, error) {
		o := order{Items: []item{}}
		err := row.Scan(&o.ID, &o.Customer)
		return o, err
	})
	if err != nil {
		return nil, err
	}
	orderIDs := make([]int, len(orders))
	byID := make(map[int]*order, len(orders))
	for i := range orders {
		orderIDs[i] = orders[i].ID
		byID[orders[i].ID] = &orders[i]
	}

	// 2. The items of all those orders in one query, sorted by item id, so
	// each order's list comes out sorted too.
	type itemRow struct {
		orderID int
		item    item
	}
	rows, err = s.db.Query(ctx,
		"SELECT id, order_id, product_id, quantity FROM items WHERE order_id = ANY($1) ORDER BY id", orderIDs)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (itemRow, error) {
		var r itemRow
		err := row.Scan(&r.item.ID, &r.orderID, &r.item.Product.ID, &r.item.Quantity)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	seen := make(map[int]bool)
	var productIDs []int
	for _, r := range items {
		if !seen[r.item.Product.ID] {
			seen[r.item.Product.ID] = true
			productIDs = append(productIDs, r.item.Product.ID)
		}
	}

	// 3. Every product those items need, each once, in one query.
	rows, err = s.db.Query(ctx,
		"SELECT id, name, brand, price_cents FROM products WHERE id = ANY($1)", productIDs)
	if err != nil {
		return nil, err
	}
	products, err := pgx.CollectRows(rows, pgx.RowToStructByPos[product])
	if err != nil {
		return nil, err
	}
	productByID := make(map[int]product, len(products))
	for _, p := range products {
		productByID[p.ID] = p
	}

	for _, r := range items {
		r.item.Product = productByID[r.item.Product.ID]
		o := byID[r.orderID]
		o.Items = append(o.Items, r.item)
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

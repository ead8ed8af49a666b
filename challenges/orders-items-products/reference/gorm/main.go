// Command reference serves GET /api/orders: every order with its items and
// each item's product, as JSON sorted by order id, each order's items
// sorted by item id, through GORM.
//
// It is the fixed version of the starter. Instead of one query per order
// for its items and one per item for its product (1 + N + N·M queries),
// the query asks GORM to load both levels with Preload("Items", ...) and
// Preload("Items.Product"): GORM loads the orders, then the items of all of
// them (WHERE order_id IN (...)), sorted by id, then the products of all
// the items (WHERE id IN (...)), three queries however many orders and
// items there are. An order without items gets [], not null.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Product is a row of products.
type Product struct {
	ID         int     `json:"id"`
	Name       string  `json:"name"`
	Brand      *string `json:"brand"` // nil (JSON null) for an unbranded product
	PriceCents int     `json:"price_cents"`
}

// Item is a row of items, with its product (belongs to).
type Item struct {
	ID        int     `json:"id"`
	OrderID   int     `json:"-"`
	ProductID int     `json:"-"`
	Quantity  int     `json:"quantity"`
	Product   Product `json:"product"`
}

// Order is a row of orders, with its items (has many).
type Order struct {
	ID       int    `json:"id"`
	Customer string `json:"customer"`
	Items    []Item `json:"items"` // never nil: an order without items has []
}

type server struct {
	db *gorm.DB
}

func (s *server) listOrders(r *http.Request) ([]Order, error) {
	db := s.db.WithContext(r.Context())
	orders := []Order{}
	// Preload, nested: the items of all the orders in one more query, and
	// the products of all the items in another - the fix.
	byID := func(tx *gorm.DB) *gorm.DB { return tx.Order("id") }
	err := db.Preload("Items", byID).Preload("Items.Product").Order("id").Find(&orders).Error
	if err != nil {
		return nil, err
	}
	for i := range orders {
		if orders[i].Items == nil {
			orders[i].Items = []Item{} // [] in the JSON, not null
		}
	}
	return orders, nil
}

func (s *server) handleOrders(w http.ResponseWriter, r *http.Request) {
	orders, err := s.listOrders(r)
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
	// GORM keeps a pool of connections (database/sql's).
	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{})
	if err != nil {
		log.Fatalf("connect to database: %v", err)
	}

	s := &server{db: db}
	http.HandleFunc("GET /api/orders", s.handleOrders)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

// Command starter serves GET /api/orders: every order with its items and
// each item's product, as JSON sorted by order id, each order's items
// sorted by item id, through GORM.
//
// It has the N+1 query problem twice over: one query loads the N orders,
// the loop in listOrders loads each order's items with one more query, and
// the loop inside it each item's product with one more again. 50 orders of
// 3 items each cost 1 + 50 + 150 = 201 queries, each a round trip to the
// database. Fix it so that the number of queries stays the same however
// many orders and items there are: ask GORM to load the items, and their
// products, with the orders.
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
	if err := db.Order("id").Find(&orders).Error; err != nil {
		return nil, err
	}
	for i := range orders {
		// One extra query per order: the first N+1.
		order := &orders[i]
		order.Items = []Item{}
		if err := db.Where("order_id = ?", order.ID).Order("id").Find(&order.Items).Error; err != nil {
			return nil, err
		}
		for j := range order.Items {
			// And one extra query per item: the second, nested N+1.
			item := &order.Items[j]
			if err := db.First(&item.Product, item.ProductID).Error; err != nil {
				return nil, err
			}
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

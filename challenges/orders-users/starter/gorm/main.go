// Command starter serves GET /api/orders: every order with the user who
// placed it, as JSON sorted by order id, through GORM.
//
// It has the N+1 query problem: one query loads the N orders, then the loop
// in listOrders loads each order's user with one more query, so 100 orders
// cost 101 queries and 101 round trips to the database. Fix it so that the
// number of queries stays the same however many orders there are: ask GORM
// to load the users with the orders.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// User is a row of users.
type User struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Order is a row of orders, with the user who placed it (belongs to).
type Order struct {
	ID      int    `json:"id"`
	Product string `json:"product"`
	UserID  int    `json:"-"`
	User    User   `json:"user"`
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
		// One extra query per order: the N+1 problem.
		if err := db.First(&orders[i].User, orders[i].UserID).Error; err != nil {
			return nil, err
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

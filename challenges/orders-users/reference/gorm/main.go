// Command reference serves GET /api/orders: every order with the user who
// placed it, as JSON sorted by order id, through GORM.
//
// It is the fixed version of the starter. Instead of one query per order
// for its user (N+1 queries), the query asks GORM to load the users with
// Preload("User"): GORM loads the orders, then all their users in a second
// query (WHERE id IN (...)), two queries however many orders there are.
// (Joins("User") would also pass: one query, LEFT JOINing users to orders.)
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
	// Preload: the users of all the orders in one more query - the fix.
	if err := db.Preload("User").Order("id").Find(&orders).Error; err != nil {
		return nil, err
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

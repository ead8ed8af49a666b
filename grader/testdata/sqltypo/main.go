// A fix with a typo in a column name: the database refuses the query and
// the handler answers 500. The card must say what the database said.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"sync"

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
}

// server holds one database connection; a pgx.Conn is not safe for
// concurrent use, so requests take turns.
type server struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

func (s *server) listOrders(ctx context.Context) ([]order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	// One query for all orders and their users: the fix.
	rows, err := s.conn.Query(ctx, `
		SELECT o.id, o.product, u.id, u.name, u.emial
		FROM orders AS o
		JOIN users AS u ON u.id = o.user_id
		ORDER BY o.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	orders := []order{}
	for rows.Next() {
		var o order
		if err := rows.Scan(&o.ID, &o.Product, &o.User.ID, &o.User.Name, &o.User.Email); err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatalf("connect to database: %v", err)
	}

	s := &server{conn: conn}
	http.HandleFunc("GET /api/orders", s.handleOrders)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

// Command starter serves GET /api/orders: every order with the user who
// placed it, as JSON sorted by order id.
//
// It has the N+1 query problem: one query fetches the N orders, then the
// loop in listOrders runs one more query per order to fetch its user, so
// 100 orders cost 101 queries and 101 round trips to the database. Fix it
// so that the number of queries stays the same however many orders there are.
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

	rows, err := s.conn.Query(ctx, "SELECT id, user_id, product FROM orders ORDER BY id")
	if err != nil {
		return nil, err
	}
	orders := []order{}
	for rows.Next() {
		var o order
		if err := rows.Scan(&o.ID, &o.User.ID, &o.Product); err != nil {
			rows.Close()
			return nil, err
		}
		orders = append(orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for i := range orders {
		// One extra query per order: the N+1 problem.
		u := &orders[i].User
		err := s.conn.QueryRow(ctx, "SELECT name, email FROM users WHERE id = $1", u.ID).Scan(&u.Name, &u.Email)
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

// Command starter serves GET /api/posts: every post with its 3 latest
// comments, as JSON sorted by post id.
//
// It has the N+1 query problem: one query fetches the N posts, then the
// loop in listPosts runs one more query per post for its latest comments,
// so 100 posts cost 101 queries and 101 round trips to the database. Fix it
// so that the number of queries stays the same however many posts there are.
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

type comment struct {
	ID     int     `json:"id"`
	Author *string `json:"author"` // nil (JSON null) for an anonymous comment
	Body   string  `json:"body"`
}

type post struct {
	ID             int       `json:"id"`
	Title          string    `json:"title"`
	LatestComments []comment `json:"latest_comments"` // never nil: [] when there are none
}

type server struct {
	db *pgxpool.Pool
}

func (s *server) listPosts(ctx context.Context) ([]post, error) {
	rows, err := s.db.Query(ctx, "SELECT id, title FROM posts ORDER BY id")
	if err != nil {
		return nil, err
	}
	posts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (post, error) {
		var p post
		err := row.Scan(&p.ID, &p.Title)
		return p, err
	})
	if err != nil {
		return nil, err
	}

	for i := range posts {
		// One extra query per post: the N+1 problem.
		rows, err := s.db.Query(ctx, `
			SELECT id, author, body FROM comments
			WHERE post_id = $1
			ORDER BY created_at DESC, id DESC
			LIMIT 3`, posts[i].ID)
		if err != nil {
			return nil, err
		}
		posts[i].LatestComments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[comment])
		if err != nil {
			return nil, err
		}
	}
	return posts, nil
}

func (s *server) handlePosts(w http.ResponseWriter, r *http.Request) {
	posts, err := s.listPosts(r.Context())
	if err != nil {
		log.Printf("list posts: %v", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(posts); err != nil {
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
	http.HandleFunc("GET /api/posts", s.handlePosts)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

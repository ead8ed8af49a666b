// Command reference serves GET /api/posts: every post with the number of
// its visible comments, as JSON, newest first.
//
// It is the fixed version of the starter. Instead of one count query per
// post (N+1 queries), a single query LEFT JOINs the visible comments to the
// posts and counts them per post, so a request costs one query and one
// round trip to the database however many posts there are.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type post struct {
	ID           int     `json:"id"`
	Title        string  `json:"title"`
	Author       *string `json:"author"`       // nil (JSON null) for a guest post
	PublishedOn  string  `json:"published_on"` // YYYY-MM-DD
	CommentCount int     `json:"comment_count"`
}

type server struct {
	db *pgxpool.Pool
}

// postsSQL is the fix: one query for the posts and their counts.
//
// The LEFT JOIN keeps the posts without comments, and count(c.id) counts
// them as 0 (count(*) would count their one row of NULLs as 1). "NOT
// c.hidden" is part of the join condition: in a WHERE clause it would
// drop the posts whose comments are all hidden.
const postsSQL = `
SELECT p.id, p.title, p.author, p.published_on, count(c.id) AS comment_count
FROM posts AS p
LEFT JOIN comments AS c ON c.post_id = p.id AND NOT c.hidden
GROUP BY p.id
ORDER BY p.published_on DESC, p.id DESC`

func (s *server) listPosts(ctx context.Context) ([]post, error) {
	rows, err := s.db.Query(ctx, postsSQL)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (post, error) {
		var p post
		var published time.Time
		err := row.Scan(&p.ID, &p.Title, &p.Author, &published, &p.CommentCount)
		p.PublishedOn = published.Format(time.DateOnly)
		return p, err
	})
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

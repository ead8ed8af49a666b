// Command reference serves GET /api/posts: every post with its 3 latest
// comments, as JSON sorted by post id.
//
// It is the fixed version of the starter. Instead of one query per post for
// its latest comments (N+1 queries), a single query LEFT JOINs to every
// post a LATERAL subquery that takes that post's 3 latest comments, so a
// request costs one query and one round trip to the database however many
// posts there are. Postgres runs the subquery once per post, inside the
// server, using the index on comments(post_id, created_at).
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"

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

// postsSQL is the fix: one row per (post, latest comment), and one row of
// NULL comment columns for a post without comments (the LEFT JOIN keeps
// it). "id DESC" breaks ties between comments made at the same instant.
const postsSQL = `
SELECT p.id, p.title, c.id, c.author, c.body
FROM posts AS p
LEFT JOIN LATERAL (
    SELECT id, author, body, created_at
    FROM comments
    WHERE post_id = p.id
    ORDER BY created_at DESC, id DESC
    LIMIT 3
) AS c ON true
ORDER BY p.id, c.created_at DESC, c.id DESC`

func (s *server) listPosts(ctx context.Context) ([]post, error) {
	rows, err := s.db.Query(ctx, postsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	posts := []post{}
	for rows.Next() {
		var (
			postID    int
			title     string
			commentID *int    // nil on the row of a post without comments
			body      *string // likewise
			c         comment
		)
		if err := rows.Scan(&postID, &title, &commentID, &c.Author, &body); err != nil {
			return nil, err
		}
		if len(posts) == 0 || posts[len(posts)-1].ID != postID {
			posts = append(posts, post{ID: postID, Title: title, LatestComments: []comment{}})
		}
		if commentID != nil {
			c.ID, c.Body = *commentID, *body
			p := &posts[len(posts)-1]
			p.LatestComments = append(p.LatestComments, c)
		}
	}
	return posts, rows.Err()
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

// Command reference serves GET /api/posts: every post with its 3 latest
// comments, as JSON sorted by post id, through GORM.
//
// It is the fixed version of the starter. Instead of one query per post
// for its latest comments (N+1 queries), the query asks GORM to load them
// with Preload("LatestComments", ...): GORM loads the posts, then the
// comments of all of them in a second query (WHERE post_id IN (...)), two
// queries however many posts there are. The limit is per post, which
// Preload cannot say (its Limit(3) would keep 3 comments in all), so the
// preload's condition is a SQL fragment, latestThree: a comment is kept if
// it is among the 3 latest of its own post. "id DESC" breaks ties between
// comments made at the same instant.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Comment is a row of comments.
type Comment struct {
	ID        int       `json:"id"`
	PostID    int       `json:"-"`
	Author    *string   `json:"author"` // nil (JSON null) for an anonymous comment
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"-"`
}

// Post is a row of posts, with its latest comments (has many).
type Post struct {
	ID             int       `json:"id"`
	Title          string    `json:"title"`
	LatestComments []Comment `json:"latest_comments" gorm:"foreignKey:PostID"` // never nil: [] when there are none
}

// latestThree keeps the comments that are among the 3 latest of their post:
// a window function numbers each post's comments, newest first, and the
// condition keeps numbers 1 to 3. The subquery does not refer to the outer
// query, so PostgreSQL runs it once, not once per comment.
const latestThree = `comments.id IN (
	SELECT id FROM (
		SELECT id, row_number() OVER (PARTITION BY post_id ORDER BY created_at DESC, id DESC) AS rank
		FROM comments
	) AS ranked
	WHERE rank <= 3)`

type server struct {
	db *gorm.DB
}

func (s *server) listPosts(r *http.Request) ([]Post, error) {
	db := s.db.WithContext(r.Context())
	posts := []Post{}
	// Preload: the latest comments of all the posts in one more query - the fix.
	latest := func(tx *gorm.DB) *gorm.DB { return tx.Where(latestThree).Order("created_at DESC, id DESC") }
	if err := db.Preload("LatestComments", latest).Order("id").Find(&posts).Error; err != nil {
		return nil, err
	}
	for i := range posts {
		if posts[i].LatestComments == nil {
			posts[i].LatestComments = []Comment{} // [] in the JSON, not null
		}
	}
	return posts, nil
}

func (s *server) handlePosts(w http.ResponseWriter, r *http.Request) {
	posts, err := s.listPosts(r)
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
	// GORM keeps a pool of connections (database/sql's).
	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{})
	if err != nil {
		log.Fatalf("connect to database: %v", err)
	}

	s := &server{db: db}
	http.HandleFunc("GET /api/posts", s.handlePosts)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

// Command reference serves GET /api/posts: every post with the number of
// its visible comments, as JSON, newest first, through GORM.
//
// It is the fixed version of the starter. Instead of one Count query per
// post (N+1 queries), one query LEFT JOINs the visible comments to the
// posts, groups by post and counts them: Select("posts.*, count(comments.id)
// ..."), Joins("LEFT JOIN comments ON ..."), Group("posts.id"). One query
// however many posts there are. count(comments.id) counts a post without
// comments as 0 (count(*) would count its one row of NULLs as 1), and "NOT
// comments.hidden" is part of the join condition: in a Where it would drop
// the posts whose comments are all hidden. (Preload cannot count: it loads
// the rows.)
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
	ID     int
	PostID int
	Body   string
	Hidden bool // hidden by a moderator: not counted
}

// Post is a row of posts, with the number of its visible comments.
type Post struct {
	ID           int       `json:"id"`
	Title        string    `json:"title"`
	Author       *string   `json:"author"` // nil (JSON null) for a guest post
	PublishedOn  time.Time `json:"-"`
	Published    string    `json:"published_on" gorm:"-"`   // PublishedOn as YYYY-MM-DD
	CommentCount int64     `json:"comment_count" gorm:"->"` // not a column of posts: read only
}

type server struct {
	db *gorm.DB
}

func (s *server) listPosts(r *http.Request) ([]Post, error) {
	db := s.db.WithContext(r.Context())
	posts := []Post{}
	// The counts in the same query, grouped - the fix.
	err := db.Model(&Post{}).
		Select("posts.*, count(comments.id) AS comment_count").
		Joins("LEFT JOIN comments ON comments.post_id = posts.id AND NOT comments.hidden").
		Group("posts.id").
		Order("posts.published_on DESC, posts.id DESC").
		Find(&posts).Error
	if err != nil {
		return nil, err
	}
	for i := range posts {
		posts[i].Published = posts[i].PublishedOn.Format(time.DateOnly)
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

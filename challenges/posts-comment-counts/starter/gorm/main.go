// Command starter serves GET /api/posts: every post with the number of its
// visible comments, as JSON, newest first, through GORM.
//
// It has the N+1 query problem: one query loads the N posts, then the loop
// in listPosts counts each post's comments with one more query, so 100
// posts cost 101 queries and 101 round trips to the database. Fix it so
// that the number of queries stays the same however many posts there are:
// ask GORM to count the comments with the posts.
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
	if err := db.Order("published_on DESC, id DESC").Find(&posts).Error; err != nil {
		return nil, err
	}
	for i := range posts {
		posts[i].Published = posts[i].PublishedOn.Format(time.DateOnly)
		// One extra query per post: the N+1 problem.
		err := db.Model(&Comment{}).Where("post_id = ? AND NOT hidden", posts[i].ID).Count(&posts[i].CommentCount).Error
		if err != nil {
			return nil, err
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

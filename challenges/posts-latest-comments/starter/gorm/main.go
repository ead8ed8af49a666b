// Command starter serves GET /api/posts: every post with its 3 latest
// comments, as JSON sorted by post id, through GORM.
//
// It has the N+1 query problem: one query loads the N posts, then the loop
// in listPosts loads each post's latest comments with one more query
// (LIMIT 3), so 100 posts cost 101 queries and 101 round trips to the
// database. Fix it so that the number of queries stays the same however
// many posts there are: ask GORM to load the latest comments with the
// posts. The limit is per post: a plain Limit(3) on one query for all the
// posts does not do it.
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

type server struct {
	db *gorm.DB
}

func (s *server) listPosts(r *http.Request) ([]Post, error) {
	db := s.db.WithContext(r.Context())
	posts := []Post{}
	if err := db.Order("id").Find(&posts).Error; err != nil {
		return nil, err
	}
	for i := range posts {
		// One extra query per post: the N+1 problem.
		posts[i].LatestComments = []Comment{}
		err := db.Where("post_id = ?", posts[i].ID).Order("created_at DESC, id DESC").Limit(3).Find(&posts[i].LatestComments).Error
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

package grader

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFindIdioms(t *testing.T) {
	tests := []struct {
		file, code string
		want       []string
	}{
		{"main.py", "orders = Order.objects.select_related('user').order_by('id')\n", []string{"select_related"}},
		{"main.py", "q = session.query(Order).options(selectinload(Order.items), joinedload(Order.user))\n", []string{"joinedload", "selectinload"}},
		// The starter's comment or brief naming the fix is not the fix.
		{"main.py", "# fix it with select_related\n\"\"\"or .prefetch_related('items')\"\"\"\nfor o in Order.objects.all(): o.user\n", nil},
		{"app.rb", "orders = Order.includes(:user).order(:id) # or .preload(:user)\n", []string{"includes"}},
		{"main.go", "db.Preload(\"User\").Order(\"id\").Find(&orders) // or db.Joins(\"User\")\n", []string{"Preload"}},
		{"server.js", "const orders = await Order.findAll({ include: [User] }) // include: [Items]\n", []string{"include"}},
		{"main.go", "rows, err := db.Query(ctx, `SELECT * FROM orders o JOIN users u ON u.id = o.user_id`)\n", nil},
		// Counting the children of every parent in one grouped query.
		{"main.py", "Post.objects.annotate(n=Count('comments', filter=Q(comments__hidden=False)))\n", []string{"annotate"}},
		{"main.py", "select(Post, func.count(Comment.id)).outerjoin(Post.comments).group_by(Post.id)\n", []string{"group_by"}},
		{"main.rb", "counts = Comment.where(hidden: false).group(:post_id).count\n", []string{"group.count"}},
		{"main.rb", "Comment.group(:post_id).maximum(:created_at)\nposts.count\n", nil},
		{"main.go", "db.Model(&Post{}).Joins(\"LEFT JOIN comments ON ...\").Group(\"posts.id\").Find(&posts)\n", []string{"Joins", "Group"}},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.code), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := findIdioms(readSources(dir)); !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: idioms %q, want %q", tt.file, tt.code, got, tt.want)
		}
	}
}

// A repeated statement is found where the starter writes it, whether the
// driver sent it with placeholders or with its values inlined; an ORM's
// statement is in no source.
func TestSentFrom(t *testing.T) {
	tests := []struct {
		dir, example, normalized, want string
	}{
		{"../challenges/orders-users/starter/go", "SELECT name, email FROM users WHERE id = $1", "select name, email from users where id = ?", "main.go:65"},
		{"../challenges/orders-items/starter/python", "SELECT id, name, quantity, note FROM items WHERE order_id = 42 ORDER BY id", "select id, name, quantity, note from items where order_id = ? order by id", "main.py:54"},
		{"../challenges/orders-items/starter/node", "SELECT id, name, quantity, note FROM items WHERE order_id = $1 ORDER BY id", "select id, name, quantity, note from items where order_id = ? order by id", "main.js:23"},
		{"../challenges/orders-items/starter/django", `SELECT "items"."id", "items"."order_id" FROM "items" WHERE "items"."order_id" = 5`, `select "items"."id", "items"."order_id" from "items" where "items"."order_id" = ?`, ""},
		// A statement over several lines is found where it starts.
		{"../challenges/posts-latest-comments/starter/go", "\n\t\t\tSELECT id, author, body FROM comments\n\t\t\tWHERE post_id = $1\n\t\t\tORDER BY created_at DESC, id DESC\n\t\t\tLIMIT 3", "select id, author, body from comments where post_id = ? order by created_at desc, id desc limit ?", "main.go:54"},
		// Too short to say where it is from.
		{"../challenges/orders-users/starter/go", "SELECT 1", "select ?", ""},
	}
	for _, tt := range tests {
		if got := sentFrom(readSources(tt.dir), tt.example, tt.normalized); got != tt.want {
			t.Errorf("sentFrom(%s, %q) = %q, want %q", tt.dir, tt.example, got, tt.want)
		}
	}
}

// A solution's files are read up to what a sandbox may hold: a sparse file
// that says a terabyte (redteam7/sparse) took the grader's memory (idioms
// and sentFrom read it whole) or minutes (the digest hashed it whole).
func TestHugeSparseFileIsNotReadWhole(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "huge.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	start := time.Now()
	findIdioms(readSources(dir))
	sentFrom(readSources(dir), "SELECT id, user_id, product FROM orders", "select id, user_id, product from orders")
	if _, err := digestDir(dir); err == nil || !strings.Contains(err.Error(), "more than the 2GiB its sandbox may hold (huge.go is one)") {
		t.Errorf("digest: %v; want it refused", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %s", d)
	}
}

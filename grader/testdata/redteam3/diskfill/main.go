// Red team round 3: resources outside the memory watch.
//
// An honest single-query solution that, before it listens, writes 2 GiB into
// its writable copy of its own directory (which is on the host's disk) and
// fills each private tmpfs the sandbox gives it (/tmp, /var/tmp, /dev/shm,
// /run: 256 MiB each, memory that no process's RSS shows), and reports
// what it managed on stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

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

func fill(path string, max int64) int64 {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	var n int64
	for n < max {
		m, err := f.Write(buf)
		n += int64(m)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fill", path, "stopped:", err)
			break
		}
	}
	return n
}

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	func() {
		wd, _ := os.Getwd()
		var disk int64
		for i := 0; i < 4; i++ {
			disk += fill(filepath.Join(wd, fmt.Sprintf("fill-%d.bin", i)), 512<<20)
		}
		var mem int64
		for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "/run"} {
			mem += fill(filepath.Join(d, "fill.bin"), 300<<20)
		}
		fmt.Fprintf(os.Stderr, "diskfill: wrote %d MiB to %s (host disk), %d MiB to tmpfs\n", disk>>20, wd, mem>>20)
	}()
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		rows, err := conn.Query(ctx, "SELECT o.id, o.product, u.id, u.name, u.email FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := []order{}
		for rows.Next() {
			var o order
			rows.Scan(&o.ID, &o.Product, &o.User.ID, &o.User.Name, &o.User.Email)
			out = append(out, o)
		}
		rows.Close()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

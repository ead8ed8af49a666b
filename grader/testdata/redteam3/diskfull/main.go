// Red team round 3: a full disk, blamed on the machine.
//
// An honest single-query solution that, before it listens, fills the file
// system of its writable copy of its own directory (the grader's temp dir,
// where the grade's PostgreSQL cluster also lives) until it is full: files
// of up to 512 MiB each (RLIMIT_FSIZE caps one file, not their number),
// at most 64 GiB. Grade it with TMPDIR on a small file system to see the
// effect without filling the host.
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
		for i := 0; i < 128; i++ {
			n := fill(filepath.Join(wd, fmt.Sprintf("fill-%d.bin", i)), 512<<20)
			disk += n
			if n < 512<<20 {
				break
			}
		}
		fmt.Fprintf(os.Stderr, "diskfull: wrote %d MiB to %s\n", disk>>20, wd)
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

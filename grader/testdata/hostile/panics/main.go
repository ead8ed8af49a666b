// A handler that panics (a write to a nil map): net/http logs the panic and
// closes the connection without an answer, and the program goes on.
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		var byID map[int]string
		byID[1] = "boom"
		w.Write([]byte("[]"))
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}

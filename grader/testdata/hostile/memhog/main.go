// Allocates (and touches) memory without end on every request.
package main

import (
	"net/http"
	"os"
)

var kept [][]byte

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 256; i++ { // 16 GiB at most, touched so resident
			b := make([]byte, 64<<20)
			for j := range b {
				b[j] = byte(j)
			}
			kept = append(kept, b)
		}
		w.Write([]byte("[]"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}

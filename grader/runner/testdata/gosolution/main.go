// Command gosolution is a test fixture: a server that prints its
// environment, then answers every request on 127.0.0.1:$PORT.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"sort"
)

func main() {
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		fmt.Println("env:", kv)
	}
	addr := "127.0.0.1:" + os.Getenv("PORT")
	fmt.Println("listening on", addr)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})))
}

// A library package, not a program: go build makes no executable of it.
package foo

import "net/http"

// Handler serves the orders, but nothing starts a server.
func Handler(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }

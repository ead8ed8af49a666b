// Command nplus1 grades fixes of N+1 query problems against a real
// PostgreSQL and writes result cards a learner can show.
package main

import "os"

func main() { os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

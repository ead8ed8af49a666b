// Command gormbind writes a note of 1.5 MiB for each order, one GORM Create
// per row, through GORM's statement cache (PrepareStmt): an N+1 of writes
// whose every Bind is larger than the 1 MiB the proxy reads whole (beyond,
// it reads the names and streams the values). Each INSERT must count as a
// data statement, and the loop as an N+1 fed by the orders.
// TestTraceGORMLargeBinds runs it under nplus1's Trace.
package main

import (
	"fmt"
	"log"
	"os"
	"strings"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Order is a row of orders.
type Order struct {
	ID      int
	Product string
}

// Note is a row of notes.
type Note struct {
	ID      int
	OrderID int
	Body    string
}

func main() {
	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{PrepareStmt: true, Logger: logger.Discard})
	if err != nil {
		log.Fatalf("connect: %v", err)
	}
	var orders []Order
	if err := db.Order("id").Find(&orders).Error; err != nil {
		log.Fatalf("orders: %v", err)
	}
	body := strings.Repeat("n", 3<<19) // 1.5 MiB
	for _, o := range orders {
		if err := db.Create(&Note{OrderID: o.ID, Body: body}).Error; err != nil {
			log.Fatalf("note for order %d: %v", o.ID, err)
		}
	}
	var notes, least int64
	if err := db.Raw("SELECT count(*), min(octet_length(body)) FROM notes").Row().Scan(&notes, &least); err != nil {
		log.Fatalf("count notes: %v", err)
	}
	fmt.Printf("%d notes of at least %d bytes\n", notes, least)
}

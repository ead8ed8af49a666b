// Package postgres starts the PostgreSQL server a grade runs against.
//
// A Provider starts an Instance; an Instance is one database the grader owns
// for the length of one grade and must Terminate afterwards, whatever
// happened. Every implementation passes the shared suite in
// postgres_suite_test.go.
package postgres

import (
	"context"
	"errors"
)

// Provider starts a PostgreSQL instance for one grade.
//
// Implementations must leave nothing behind when Start fails: no process,
// no temp dir, no database.
type Provider interface {
	// Name is the provider's name as the CLI spells it: "local", "url", ...
	Name() string
	// Start brings up a server (or a fresh database on an existing one) and
	// returns once it accepts connections. Its error says what it was
	// starting ("start local postgres: ..."): callers do not say it again.
	Start(ctx context.Context) (Instance, error)
}

// Instance is a running PostgreSQL database owned by one grade.
type Instance interface {
	// ConnectionString is a keyword/value or URL connection string for a
	// role that may create roles and tables in the instance's database. It
	// names 127.0.0.1 (or the given server) and sslmode as needed.
	ConnectionString() string
	// Version is the server's version, as SHOW server_version prints it.
	Version() string
	// Provider is the name of the provider that started the instance.
	Provider() string
	// Terminate stops the server or drops the database, and removes every
	// file the instance made. It is safe to call more than once.
	Terminate(ctx context.Context) error
	// Copy makes a new database on the instance's server holding a copy of
	// this one's (CREATE DATABASE ... TEMPLATE), as an Instance of its own
	// ("url") to Terminate; this instance lives on. No session may be open
	// on this instance's database while it copies. Copying a seeded
	// database is how a batch of grades on one server share one seeding.
	Copy(ctx context.Context) (Instance, error)
}

// ErrNotAvailable is wrapped by Start when the provider cannot run on this
// machine at all (no binaries, no unprivileged user, ...), as opposed to a
// failure while starting. The message says what to install or change.
var ErrNotAvailable = errors.New("postgres provider not available")

// BackendMemory is the private memory (RLIMIT_DATA: heap and private
// mappings, not the shared buffers) each process of a server that the
// local and docker providers start may hold. PostgreSQL has no such bound
// of its own: a solution's statement that builds a large value (say
// repeat('x', 300000000)) on each of its connections could take the
// machine's memory. Bounded, such a statement fails with "out of memory"
// (SQLSTATE 53200) and the server stays up; the solution's 100
// connections then hold at most about 13 GiB. The grader's own statements
// and an honest solution's need a few MiB. A url provider's server is as
// its owner set it up.
const BackendMemory = 128 << 20

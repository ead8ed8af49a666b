package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// NewURL returns the "url" provider: a temporary database on an existing
// server, reached with connString (a URL or keyword/value string).
//
// The role in connString needs CREATEDB and CREATEROLE (or superuser).
// Start creates a database named "nplus1_<random hex>"; the instance's
// connection string is connString with that database. Terminate drops the
// database, and every role whose name starts with "<database>_": a grade
// should name the roles it creates that way, since roles belong to the
// whole server. Errors never show the password.
func NewURL(connString string) Provider {
	return &urlProvider{connString: connString}
}

// copyDatabase makes a temporary database on the server admin reaches
// (through another database than this one) as a copy of database.
func copyDatabase(ctx context.Context, admin, database string) (Instance, error) {
	inst, err := (&urlProvider{connString: admin, template: database}).start(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy database %s: %w", database, err)
	}
	return inst, nil
}

type urlProvider struct {
	connString string
	template   string // database to copy (see copyDatabase); "" for an empty one
}

func (p *urlProvider) Name() string { return "url" }

// Start implements Provider.
func (p *urlProvider) Start(ctx context.Context) (Instance, error) {
	inst, err := p.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start url postgres: %w", err)
	}
	return inst, nil
}

func (p *urlProvider) start(ctx context.Context) (*urlInstance, error) {
	if p.connString == "" {
		return nil, errors.New("no database url given")
	}
	conn, err := pgx.Connect(ctx, p.connString)
	if err != nil {
		return nil, err // pgx names the server and user, never the password
	}
	defer conn.Close(context.Background())

	var role, version string
	var super, createDB, createRole bool
	var versionNum int
	err = conn.QueryRow(ctx, `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole,
		current_setting('server_version'), current_setting('server_version_num')::int
		FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super, &createDB, &createRole, &version, &versionNum)
	if err != nil {
		return nil, fmt.Errorf("read role attributes: %w", err)
	}
	if !super && !(createDB && createRole) {
		return nil, fmt.Errorf("%w: role %q needs CREATEDB and CREATEROLE to make a temporary database and roles (as a superuser: ALTER ROLE %s CREATEDB CREATEROLE)",
			ErrNotAvailable, role, pgx.Identifier{role}.Sanitize())
	}

	random := make([]byte, 8)
	rand.Read(random)
	name := "nplus1_" + hex.EncodeToString(random)
	dbConnString, err := withDatabase(p.connString, name)
	if err != nil {
		return nil, err
	}
	create := "CREATE DATABASE " + name
	if p.template != "" {
		create += " TEMPLATE " + pgx.Identifier{p.template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	return &urlInstance{admin: p.connString, connString: dbConnString, database: name, version: version, versionNum: versionNum}, nil
}

// withDatabase returns connString with its database set to name.
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err // url.Error repeats the URL, password included
			}
			return "", fmt.Errorf("parse database url: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In keyword/value form the last setting wins.
	return connString + " dbname=" + name, nil
}

// urlInstance is a temporary database on an existing server.
type urlInstance struct {
	admin      string // the provider's connection string
	connString string
	database   string
	version    string
	versionNum int

	once sync.Once
	err  error
}

func (i *urlInstance) ConnectionString() string { return i.connString }
func (i *urlInstance) Version() string          { return i.version }
func (i *urlInstance) Provider() string         { return "url" }

// Copy implements Instance.
func (i *urlInstance) Copy(ctx context.Context) (Instance, error) {
	return copyDatabase(ctx, i.admin, i.database)
}

// Terminate drops the database and the roles named "<database>_...". Later
// calls return the first call's result.
func (i *urlInstance) Terminate(ctx context.Context) error {
	i.once.Do(func() {
		if err := i.drop(ctx); err != nil {
			i.err = fmt.Errorf("terminate url postgres: %w", err)
		}
	})
	return i.err
}

func (i *urlInstance) drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, i.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	drop := "DROP DATABASE IF EXISTS " + i.database
	if i.versionNum >= 130000 {
		drop += " WITH (FORCE)"
	} else {
		_, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", i.database)
		if err != nil {
			return fmt.Errorf("end sessions on %s: %w", i.database, err)
		}
	}
	if _, err := conn.Exec(ctx, drop); err != nil {
		return fmt.Errorf("drop database %s: %w", i.database, err)
	}
	rows, _ := conn.Query(ctx, "SELECT rolname FROM pg_roles WHERE strpos(rolname, $1) = 1", i.database+"_")
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list roles of %s: %w", i.database, err)
	}
	var errs []error
	for _, role := range roles {
		if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
			errs = append(errs, fmt.Errorf("drop role %s: %w", role, err))
		}
	}
	return errors.Join(errs...)
}

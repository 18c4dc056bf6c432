// Package pgtest starts a real PostgreSQL server for tests: initdb in a
// temporary directory, the server on a free loopback port with its socket
// in that directory, run as the postgres user when the tests run as root
// (PostgreSQL refuses root). A test package shares one server (Main) and
// takes a fresh database per test (NewDatabase); a test that stops and
// starts PostgreSQL starts its own (Start). With CI set and no PostgreSQL
// binaries the tests fail; otherwise they are skipped. `make deps` installs
// Debian's postgresql.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure a server.
type Options struct {
	// Durable keeps fsync and synchronous commit on (for benchmarks); the
	// default turns them off, which only matters if the machine crashes.
	Durable bool
}

// Server is one PostgreSQL server process with its data directory.
type Server struct {
	bins     binaries
	opts     Options
	dir      string // holds data/, the socket and the log
	port     int
	password string // of the superuser "postgres"
	proc     *process
}

// Start runs a server of its own for t, stopped and removed when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts)
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.Remove)
	return s
}

// fail skips t when the binaries are missing and CI is not set, and fails
// it otherwise.
func fail(t testing.TB, err error) {
	t.Helper()
	var missing *MissingError
	if errors.As(err, &missing) && os.Getenv("CI") == "" {
		t.Skipf("%v (run `make deps`)", err)
	}
	t.Fatalf("postgresql: %v", err)
}

func start(opts Options) (*Server, error) {
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	s := &Server{bins: bins, opts: opts, password: randomHex(12)}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	if s.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	if err = s.initdb(); err == nil {
		err = s.Start()
	}
	if err != nil {
		s.Remove()
		return nil, err
	}
	return s, nil
}

// URL is the address of database db as the superuser, password included,
// over TCP on the loopback address.
func (s *Server) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("postgres", s.password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// URLWithoutPassword is URL without the password (for tests of passwords
// given apart, as from a file).
func (s *Server) URLWithoutPassword(db string) string {
	u, _ := url.Parse(s.URL(db))
	u.User = url.User("postgres")
	return u.String()
}

// Password is the superuser's password.
func (s *Server) Password() string { return s.password }

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// CreateDatabase creates an empty database with a fresh name and returns
// its name; it is dropped when t ends.
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	name := "t_" + randomHex(8)
	if err := execSQL(s.URL("postgres"), `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if s.proc != nil {
			_ = execSQL(s.URL("postgres"), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		}
	})
	return name
}

// execSQL runs one statement on the database at rawURL.
func execSQL(rawURL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// Environment variables between Main and NewDatabase within one test
// binary. PDP_TEST_POSTGRES_URL, when set by the caller, names an existing
// server (a URL of its postgres database as a superuser) to use instead of
// starting one.
const (
	envURL     = "PDP_TEST_POSTGRES_URL"
	envMissing = "PDP_PGTEST_MISSING" // why there is no server: binaries missing
	envFailed  = "PDP_PGTEST_FAILED"  // why there is no server: it failed to start
)

// Main runs a test package's tests (m.Run) with one PostgreSQL server for
// all of them, and returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without binaries or with a server that fails to start, the tests still
// run; NewDatabase then skips or fails them.
func Main(m *testing.M) int {
	if os.Getenv(envURL) != "" {
		return m.Run()
	}
	s, err := start(Options{})
	var missing *MissingError
	switch {
	case errors.As(err, &missing):
		os.Setenv(envMissing, err.Error())
	case err != nil:
		os.Setenv(envFailed, err.Error())
	default:
		defer s.Remove()
		os.Setenv(envURL, s.URL("postgres"))
	}
	return m.Run()
}

// NewDatabase creates a fresh database on the package's server (see Main)
// and returns its URL, password included; the database is dropped when t
// ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(envURL)
	if admin == "" {
		noServer(t)
	}
	name := "t_" + randomHex(8)
	if err := execSQL(admin, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { _ = execSQL(admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	return withDatabase(admin, name)
}

func noServer(t testing.TB) {
	t.Helper()
	if why := os.Getenv(envMissing); why != "" {
		fail(t, &MissingError{Searched: []string{strings.TrimPrefix(why, "PostgreSQL binaries (initdb, postgres) not found in ")}})
	}
	if why := os.Getenv(envFailed); why != "" {
		t.Fatalf("postgresql: %s", why)
	}
	t.Fatal("pgtest: no PostgreSQL server: call os.Exit(pgtest.Main(m)) from TestMain")
}

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(rawURL, db string) string {
	i := strings.Index(rawURL, "?")
	base, query := rawURL, ""
	if i >= 0 {
		base, query = rawURL[:i], rawURL[i:]
	}
	slash := strings.LastIndex(base, "/")
	if slash < len("postgres://") {
		return fmt.Sprintf("%s/%s%s", base, db, query)
	}
	return base[:slash+1] + db + query
}

// MainNoLeaks is Main, then a look for goroutines the tests left running
// (a pool not closed): the exit code is 1 when it finds any.
func MainNoLeaks(m *testing.M) int {
	code := Main(m)
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

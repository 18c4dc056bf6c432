package app

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/pdp-project/pdp/internal/plansql"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/server/authzen"
)

// searchConns bounds the connections to the resource table.
const searchConns = 4

// buildSearch opens the resource table of --search-db and --search-table,
// when set, for the AuthZEN resource search: SQLite read-only, PostgreSQL
// through pgx. Nothing is read yet: a table that cannot be read makes the
// searches that need it Unavailable, not the server.
func (a *App) buildSearch(context.Context) error {
	s := a.cfg.Search
	if s.DB == "" || s.Table == "" {
		return nil
	}
	driver, dsn, dialect := "sqlite", sqliteReadOnly(s.DB), server.DialectSQLite
	if s.IsPostgres() {
		driver, dsn, dialect = "pgx", s.DB, server.DialectPostgres
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("--search-db: %w", err)
	}
	db.SetMaxOpenConns(searchConns)
	db.SetMaxIdleConns(searchConns)
	a.closers = append(a.closers, db.Close)
	a.resources = authzen.NewTable(db, dialect, s.Table, plansql.Where)
	a.log.Info("resource search reads a table", "table", s.Table, "dialect", dialect)
	return nil
}

// sqliteReadOnly is the DSN that opens path read-only: no statement of the
// search can change the caller's table.
func sqliteReadOnly(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

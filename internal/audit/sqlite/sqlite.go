// Package sqlite is the embedded default audit.Store: one SQLite file in WAL
// mode, written through a single connection (SQLite has one writer anyway)
// and read through a separate read-only pool. It uses the pure-Go driver
// modernc.org/sqlite, so the binary needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pdp-project/pdp/internal/audit"
)

// busyTimeoutMS bounds how long a statement waits for a lock held by
// another connection (an auditor's sqlite3 shell, a second process).
const busyTimeoutMS = 5000

// readConns is the size of the read pool.
const readConns = 4

// Options configure Open.
type Options struct {
	// Path of the database file; its parent directory is created (0o700)
	// and a new file is created 0o600.
	Path string
	// Sync is "normal" (the default: durable across process crashes) or
	// "full" (also across power loss, at the cost of an fsync per commit).
	Sync string
	// Signer signs checkpoints; nil writes none (Checkpoint and Prune then
	// fail).
	Signer *audit.Signer
	// CheckpointEvery writes a checkpoint in the transaction that takes the
	// chain N or more records past the last one; 0: none by count.
	CheckpointEvery int
	// ExportPath receives a copy of every new checkpoint ("" exports none);
	// usually audit.ExportPath(Path).
	ExportPath string
	// Clock stamps checkpoints; nil is time.Now.
	Clock func() time.Time
}

// Store is an audit.Store backed by one SQLite file.
type Store struct {
	db     *sql.DB // the single writer connection
	read   *sql.DB // readers; never write
	insert *sql.Stmt
	opts   Options

	mu     sync.Mutex  // serialises writers; guards the fields below
	chain  audit.Chain // head of the hash chain as committed
	lastCP int64       // seq of the newest checkpoint
}

var _ audit.Store = (*Store)(nil)

// Open opens or creates the database at opts.Path and brings its schema up
// to date.
func Open(ctx context.Context, opts Options) (*Store, error) {
	sync, err := syncMode(opts.Sync)
	if err != nil {
		return nil, err
	}
	path, err := prepareFile(opts.Path)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s, err := open(ctx, path, sync, opts)
	if err != nil {
		return nil, fmt.Errorf("open audit database %q: %w", opts.Path, err)
	}
	return s, nil
}

func open(ctx context.Context, path, sync string, opts Options) (*Store, error) {
	s := &Store{opts: opts}
	var err error
	if s.db, err = openDB(ctx, dsn(path, sync, false), 1); err != nil {
		return nil, err
	}
	if err = migrate(ctx, s.db); err == nil {
		s.read, err = openDB(ctx, dsn(path, sync, true), readConns)
	}
	if err == nil {
		s.insert, err = s.db.PrepareContext(ctx, insertSQL)
	}
	if err == nil {
		err = s.loadHead(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func syncMode(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", "normal":
		return "NORMAL", nil
	case "full":
		return "FULL", nil
	}
	return "", fmt.Errorf("audit sync %q: want normal or full", s)
}

// prepareFile creates the parent directory and an empty private database
// file when they do not exist, and returns the absolute path.
func prepareFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("audit database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("audit database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", fmt.Errorf("create audit database directory: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("create audit database: %w", err)
	}
	return abs, f.Close()
}

// dsn builds a file: URI (so any path is safe) with the connection pragmas.
func dsn(path, sync string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

func openDB(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// Ping reports whether the store accepts writes: it takes the write lock
// (BEGIN IMMEDIATE) and releases it.
func (s *Store) Ping(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit database not writable: %w", err)
	}
	return tx.Rollback()
}

// Close closes the statement and both pools.
func (s *Store) Close() error {
	var errs []error
	if s.insert != nil {
		errs = append(errs, s.insert.Close())
	}
	for _, db := range []*sql.DB{s.read, s.db} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

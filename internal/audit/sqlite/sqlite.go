// Package sqlite is the embedded default audit.Store. A group commit seals
// its records into the hash chain and appends them to the journal beside
// the database (JournalDir): that append is the record's durability point.
// An indexer then inserts the journaled records into the trail, one SQLite
// file in WAL mode with an indexed table that auditors read with any
// SQLite client, in large transactions that never hold up a commit; the
// journal keeps only what the trail does not hold yet. Reads through the
// Store see journaled records at once. It uses the pure-Go driver
// modernc.org/sqlite, so the binary needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/journal"
)

// busyTimeoutMS bounds how long a statement waits for a lock held by
// another connection (an auditor's sqlite3 shell, a second process).
const busyTimeoutMS = 5000

// readConns is the size of the read pool.
const readConns = 4

// indexerCacheKiB is the page cache of the trail's writer connection
// (SQLite's default is 2 MiB): an index pass touches one leaf of every
// index per subject and resource it inserts.
const indexerCacheKiB = 64 << 10

// walCheckpointPages is the WAL size, in pages, that triggers a checkpoint
// (SQLite's default is 1000).
const walCheckpointPages = 8000

// JournalDir is the directory of the journal of the trail at path.
func JournalDir(path string) string { return path + ".journal" }

// Options configure Open.
type Options struct {
	// Path of the database file; its parent directory is created (0o700)
	// and a new file is created 0o600.
	Path string
	// Sync is "normal" (the default: durable across process crashes) or
	// "full" (also across power loss, at the cost of an fdatasync per
	// commit).
	Sync string
	// Signer signs checkpoints; nil writes none (Checkpoint and Prune then
	// fail).
	Signer *audit.Signer
	// CheckpointEvery writes a checkpoint in the commit that takes the
	// chain N or more records past the last one; 0: none by count.
	CheckpointEvery int
	// ExportPath receives a copy of every new checkpoint ("" exports none);
	// usually audit.ExportPath(Path).
	ExportPath string
	// Clock stamps checkpoints; nil is time.Now.
	Clock func() time.Time
	// Logger receives failures of the background indexer; nil discards
	// them.
	Logger *slog.Logger
	// IndexEvery is how often the indexer takes journaled records into the
	// trail (default DefaultIndexEvery); it also runs as soon as
	// IndexAt records wait.
	IndexEvery time.Duration
	// JournalSegmentSize is the size past which a journal segment is
	// closed; 0 is journal.DefaultSegmentSize.
	JournalSegmentSize int64
}

// Store is an audit.Store backed by a journal and a SQLite trail.
type Store struct {
	db      *sql.DB   // the trail's writer: migrations, the indexer, checkpoints, retention
	read    *sql.DB   // the trail's readers; never write
	insert  *sql.Stmt // insertSQL on db
	dupe    *sql.Stmt // duplicateSQL on read
	journal *journal.Journal
	opts    Options
	cols    string // the columns reads select (columns, or a read-only view of an older schema)

	mu      sync.Mutex  // serialises commits; guards the fields below
	chain   audit.Chain // head of the hash chain as journaled
	lastCP  int64       // seq of the newest checkpoint
	frame   []byte      // scratch for journal payloads
	pending pendingSet  // journaled and not yet in the trail (index.go)
	closed  bool        // no more appends

	indexMu   sync.Mutex   // serialises writes to the trail
	stats     plannerStats // stats.go; under indexMu
	indexNow  chan struct{}
	stopIndex chan struct{}
	indexDone chan struct{}
	closeOnce sync.Once
}

var _ audit.Store = (*Store)(nil)

// Open opens or creates the database at opts.Path and its journal, brings
// the schema up to date and takes into the trail whatever a crash left in
// the journal.
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IndexEvery <= 0 {
		opts.IndexEvery = DefaultIndexEvery
	}
	s, err := open(ctx, path, sync, opts)
	if err != nil {
		return nil, fmt.Errorf("open audit database %q: %w", opts.Path, err)
	}
	return s, nil
}

func open(ctx context.Context, path, sync string, opts Options) (*Store, error) {
	s := &Store{opts: opts, cols: columns, pending: newPendingSet()}
	err := s.openTrail(ctx, path, sync)
	if err == nil {
		s.journal, err = journal.Open(journal.Options{Dir: JournalDir(path), Sync: sync == "FULL",
			SegmentSize: opts.JournalSegmentSize})
	}
	if err == nil {
		err = s.recover(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.startIndexer()
	return s, nil
}

func (s *Store) openTrail(ctx context.Context, path, sync string) error {
	var err error
	if s.db, err = openDB(ctx, dsn(path, sync, connWriter), 1); err != nil {
		return err
	}
	if err = migrate(ctx, s.db); err != nil {
		return err
	}
	if s.insert, err = s.db.PrepareContext(ctx, insertSQL(insertRowsPerStmt)); err != nil {
		return err
	}
	return s.openReaders(ctx, dsn(path, sync, connReader))
}

func (s *Store) openReaders(ctx context.Context, dsn string) error {
	var err error
	if s.read, err = openDB(ctx, dsn, readConns); err != nil {
		return err
	}
	s.dupe, err = s.read.PrepareContext(ctx, duplicateSQL)
	return err
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

// Kinds of connection, each with its own pragmas.
type connKind int

const (
	connWriter    connKind = iota // BEGIN IMMEDIATE: takes the write lock up front
	connReader                    // query_only
	connReadOnly                  // a reader of a trail no server of ours writes: opens nothing for writing
	connImmutable                 // connReadOnly of a file without a write-ahead log: creates no -wal or -shm
)

// dsn builds a file: URI (so any path is safe) with the connection pragmas.
func dsn(path, sync string, kind connKind) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	if kind != connReadOnly && kind != connImmutable {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+sync+")")
	}
	switch kind {
	case connReader:
		q.Add("_pragma", "query_only(1)")
	case connReadOnly:
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	case connImmutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
		q.Add("_pragma", "query_only(1)")
	case connWriter:
		q.Set("_txlock", "immediate")
		// An index pass touches one leaf of every index per subject and
		// resource it inserts: keep them in memory rather than read them
		// back, and let the WAL grow so that a checkpoint copies a page
		// once for many passes.
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", indexerCacheKiB))
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
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

// Ping reports whether the store accepts writes: it takes the trail's
// write lock (BEGIN IMMEDIATE) and releases it, then writes spaceProbe
// bytes in the journal's directory, since a full disk refuses appends.
func (s *Store) Ping(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit database not writable: %w", err)
	}
	if err := tx.Rollback(); err != nil {
		return err
	}
	if err := probeSpace(JournalDir(s.opts.Path)); err != nil {
		return fmt.Errorf("audit journal directory does not take data: %w", err)
	}
	return nil
}

// spaceProbe is what Ping writes (and removes) beside the database.
const spaceProbe = 64 << 10

func probeSpace(dir string) error {
	f, err := os.CreateTemp(dir, ".pdp-space-probe-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, spaceProbe))
	return errors.Join(err, f.Close())
}

// Close takes every journaled record into the trail, empties the journal
// and closes every connection. Calling it again is a no-op.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.close() })
	return err
}

func (s *Store) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	errs := []error{s.stopIndexer()}
	for _, stmt := range []*sql.Stmt{s.insert, s.dupe} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if s.journal != nil {
		errs = append(errs, s.journal.Close())
	}
	for _, db := range []*sql.DB{s.read, s.db} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

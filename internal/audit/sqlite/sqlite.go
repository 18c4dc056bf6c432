// Package sqlite is the embedded default audit.Store: the trail, one SQLite
// file in WAL mode read through a read-only pool, and beside it the stage,
// where group commits make records durable before a background mover takes
// them into the trail's indexed table (StagePath, pending.go). It uses the
// pure-Go driver modernc.org/sqlite, so the binary needs no C toolchain.
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
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pdp-project/pdp/internal/audit"
)

// busyTimeoutMS bounds how long a statement waits for a lock held by
// another connection (an auditor's sqlite3 shell, a second process).
const busyTimeoutMS = 5000

// readConns is the size of the read pool.
const readConns = 4

// moverCacheKiB is the page cache of the mover's connection (SQLite's
// default is 2 MiB).
const moverCacheKiB = 64 << 10

// walCheckpointPages is the WAL size, in pages, that triggers a checkpoint
// (SQLite's default is 1000).
const walCheckpointPages = 8000

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
	// Logger receives failures of the background move into decisions;
	// nil discards them (reads still return them).
	Logger *slog.Logger
}

// Store is an audit.Store backed by a SQLite file and its stage
// (StagePath).
type Store struct {
	db        *sql.DB   // the trail's writer: migrations, checkpoints, retention
	read      *sql.DB   // the trail's readers; never write
	stage     *sql.DB   // the stage's single writer: every group commit
	movers    *sql.DB   // the pool behind mover
	mover     *sql.Conn // moves staged rows into the trail (pending.go)
	insert    *sql.Stmt // into the stage
	duplicate *sql.Stmt // duplicateSQL, on the readers
	opts      Options

	mu      sync.Mutex  // serialises commits; guards the fields below
	chain   audit.Chain // head of the hash chain as committed
	lastCP  int64       // seq of the newest checkpoint
	scratch []byte      // encode's buffer
	// Decision ids staged and not seen moved, with their seq; the highest
	// id in the trail; the moved seq up to which unmovedIDs is pruned.
	unmovedIDs map[string]int64
	trailMaxID string
	forgotten  int64

	moveMu sync.Mutex   // serialises writes to the trail
	moved  atomic.Int64 // highest seq this process moved into the trail; written under moveMu

	unmoved   atomic.Int64  // rows this process staged that may not be moved yet
	moveNow   chan struct{} // wakes the mover
	stopMover chan struct{}
	moverDone chan struct{}
	closeOnce sync.Once
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := open(ctx, path, sync, opts)
	if err != nil {
		return nil, fmt.Errorf("open audit database %q: %w", opts.Path, err)
	}
	return s, nil
}

func open(ctx context.Context, path, sync string, opts Options) (*Store, error) {
	s := &Store{opts: opts}
	err := s.openTrail(ctx, path, sync)
	if err == nil {
		err = s.openStage(ctx, path, sync)
	}
	if err == nil {
		err = s.recover(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.startMover()
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
	if s.read, err = openDB(ctx, dsn(path, sync, connReader), readConns); err != nil {
		return err
	}
	s.duplicate, err = s.read.PrepareContext(ctx, duplicateSQL)
	return err
}

func (s *Store) openStage(ctx context.Context, path, sync string) error {
	var err error
	if s.stage, err = openStage(ctx, StagePath(path), sync); err != nil {
		return err
	}
	if s.insert, err = s.stage.PrepareContext(ctx, insertSQL); err != nil {
		return err
	}
	s.movers, s.mover, err = openMover(ctx, dsn(path, sync, connMover), StagePath(path))
	return err
}

// recover moves what a crash left staged, then reads the head of the chain.
func (s *Store) recover(ctx context.Context) error {
	if err := s.loadHead(ctx); err != nil {
		return err
	}
	s.moved.Store(s.chain.Seq)
	if err := s.flush(ctx); err != nil {
		return err
	}
	s.unmovedIDs = map[string]int64{}
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(decision_id), '') FROM decisions`).Scan(&s.trailMaxID)
	if err != nil {
		return fmt.Errorf("read decision ids: %w", err)
	}
	return s.loadHead(ctx)
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
	connWriter connKind = iota // BEGIN IMMEDIATE: takes the write lock up front
	connReader                 // query_only
	connMover                  // deferred BEGIN, so that it locks the trail only, not the attached stage
	connStage                  // a writer that leaves checkpoints of its WAL to the mover
)

// dsn builds a file: URI (so any path is safe) with the connection pragmas.
func dsn(path, sync string, kind connKind) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	switch kind {
	case connReader:
		q.Add("_pragma", "query_only(1)")
	case connWriter:
		q.Set("_txlock", "immediate")
	case connStage:
		q.Set("_txlock", "immediate")
		// A checkpoint copies the WAL into the file and syncs it; run
		// by a commit, it would hold up every Check waiting on that
		// commit. The mover runs it after each move instead.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	case connMover:
		// A move touches one leaf of every index per subject and resource
		// it moves: keep them in memory rather than read them back, and let
		// the WAL grow so that a checkpoint copies a page once for many
		// moves.
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", moverCacheKiB))
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

// Ping reports whether the store accepts writes: it takes the write lock
// (BEGIN IMMEDIATE) of the stage, where commits go, and of the trail, and
// releases them; then it writes spaceProbe bytes beside them, since a full
// disk grants the lock and refuses the commit.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.stage, s.db} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("audit database not writable: %w", err)
		}
		if err := tx.Rollback(); err != nil {
			return err
		}
	}
	if err := probeSpace(filepath.Dir(s.opts.Path)); err != nil {
		return fmt.Errorf("audit database directory does not take data: %w", err)
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

// Close moves the staged rows into the trail, then closes every
// connection. Calling it again is a no-op.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.close() })
	return err
}

func (s *Store) close() error {
	errs := []error{s.stopMoving()}
	for _, stmt := range []*sql.Stmt{s.insert, s.duplicate} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if s.mover != nil {
		errs = append(errs, s.mover.Close())
	}
	for _, db := range []*sql.DB{s.movers, s.stage, s.read, s.db} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

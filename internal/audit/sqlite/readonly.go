package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pdp-project/pdp/internal/audit/journal"
)

// OpenReadOnly opens the trail at path for reading, as an auditor's
// command does: it creates, migrates and changes nothing, and takes the
// records waiting in the journal (a server still running, or one that
// crashed) from the journal files as they are. A trail with a write-ahead
// log is read through it, so SQLite's shared-memory index beside it
// (-shm) takes this reader's marks as it does any reader's; a trail
// without one (cleanly closed) is opened immutable. Append and Checkpoint
// fail.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("audit database path %q: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("open audit database: %w", err)
	}
	s := &Store{opts: Options{Path: abs, Logger: slog.New(slog.DiscardHandler)}, pending: newPendingSet()}
	if err := s.openReadOnly(ctx, abs); err != nil {
		return nil, errors.Join(fmt.Errorf("open audit database %q: %w", path, err), s.Close())
	}
	return s, nil
}

func (s *Store) openReadOnly(ctx context.Context, path string) error {
	kind := connReadOnly
	if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
		kind = connImmutable
	}
	if err := s.openReaders(ctx, dsn(path, "NORMAL", kind)); err != nil {
		return err
	}
	if err := s.readColumns(ctx); err != nil {
		return err
	}
	if err := s.loadHeadFrom(ctx, s.read); err != nil {
		return err
	}
	r := replayer{s: s}
	err := journal.ReadDir(JournalDir(path), func(p []byte) error {
		_, err := r.payload(p)
		return err
	})
	if err != nil {
		return fmt.Errorf("read audit journal: %w", err)
	}
	return nil
}

// readColumns picks the columns reads select for the schema the file has.
func (s *Store) readColumns(ctx context.Context) error {
	var version int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("audit database schema version %d is newer than this binary supports (%d)", version, SchemaVersion)
	case version < 3:
		return fmt.Errorf("audit database schema version %d predates the hash chain: start pdp serve on it once to upgrade it", version)
	case version < 5:
		s.cols = columnsBeforeV5
	case version < 6:
		s.cols = columnsBeforeV6
	default:
		s.cols = columns
	}
	return nil
}

package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openStore(t testing.TB, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "audit", "audit.db")
	}
	s, err := sqlite.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens a second, independent connection to the store's file, as an
// auditor's sqlite3 shell would.
// flush moves s's pending rows into decisions, for tests that read the
// table behind the store's back.
func flush(t *testing.T, s *sqlite.Store) {
	t.Helper()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) audit.Store { return openStore(t, sqlite.Options{}) })
}

// TestWriterReportsStoreFailure blocks the journal's next segment (a
// directory where the file must go), as a full disk or a broken volume
// refuses appends.
func TestWriterReportsStoreFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, JournalSegmentSize: 1})
	w := audit.NewWriter(s, audit.WriterOptions{})
	defer w.Close()
	if err := w.Write(context.Background(), audittest.NewRecords(1)); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(sqlite.JournalDir(path), "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments = %v, want one", segs)
	}
	blocked := filepath.Join(sqlite.JournalDir(path), "0000000000000001.seg")
	if err := os.Mkdir(blocked, 0o700); err != nil {
		t.Fatal(err)
	}
	recs := audittest.NewRecords(3)
	err := w.Write(context.Background(), recs)
	if code := pdp.ErrorCode(err); code != pdp.CodeUnavailable || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("Write with a failing journal: err = %v (code %q), want unavailable with the cause", err, code)
	}
	for _, r := range recs {
		if _, err := s.Get(context.Background(), r.DecisionID); err == nil {
			t.Errorf("record %s of a failed commit was stored", r.DecisionID)
		}
	}
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), recs); err != nil {
		t.Fatalf("Write after the store recovered: %v", err)
	}
	rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 4 {
		t.Fatalf("Verify = %+v, %v; want 4 records", rep, err)
	}
}

func exec(t *testing.T, db *sql.DB, stmt string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "dir")
	path := filepath.Join(dir, "audit.db")
	openStore(t, sqlite.Options{Path: path})
	for name, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name string
		opts sqlite.Options
	}{
		{"empty path", sqlite.Options{}},
		{"unknown sync", sqlite.Options{Path: filepath.Join(t.TempDir(), "a.db"), Sync: "sometimes"}},
		{"path is a directory", sqlite.Options{Path: t.TempDir()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := sqlite.Open(context.Background(), tc.opts); err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	exec(t, rawDB(t, path), "PRAGMA user_version = 99")
	if s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path}); err == nil {
		_ = s.Close()
		t.Fatal("Open of a database from a newer version succeeded")
	}
}

// TestTrailConformance runs the read-side suite every audit store passes,
// against records taken into the trail and, in a second run, against
// records the trail has not indexed yet (still in the journal).
func TestTrailConformance(t *testing.T) {
	for _, journaled := range []bool{false, true} {
		t.Run(map[bool]string{false: "indexed", true: "journaled"}[journaled], func(t *testing.T) {
			audittest.RunTrail(t, func(t *testing.T, recs []pdp.Record, signer *audit.Signer) audittest.Trail {
				path := filepath.Join(t.TempDir(), "audit.db")
				s := openStore(t, sqlite.Options{Path: path, Signer: signer})
				if journaled {
					t.Cleanup(stick(t, rawDB(t, path)))
				}
				if err := s.Append(context.Background(), recs); err != nil {
					t.Fatal(err)
				}
				if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
					t.Fatal(err)
				}
				if !journaled {
					flush(t, s)
				}
				return s
			})
		})
	}
}

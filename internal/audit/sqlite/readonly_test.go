package sqlite_test

import (
	"context"
	"io/fs"
	"maps"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
)

// files maps every file under dir to its size and modification time.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			out[p] = strconv.FormatInt(info.Size(), 10) + "@" + info.ModTime().String()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadOnlyChangesNothing reads a trail left as a crash leaves it
// (records in the journal that the trail lacks) and as a clean shutdown
// leaves it: every record is seen, the chain verifies, and no file is
// created or changed (but for the reader marks SQLite keeps in the -shm
// index of a trail that has a write-ahead log).
func TestReadOnlyChangesNothing(t *testing.T) {
	for _, crashed := range []bool{true, false} {
		t.Run("crashed="+strconv.FormatBool(crashed), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.db")
			s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 2})
			if err := s.Append(context.Background(), audittest.NewRecords(3)); err != nil {
				t.Fatal(err)
			}
			flush(t, s)
			if crashed {
				t.Cleanup(stick(t, rawDB(t, path)))
			}
			if err := s.Append(context.Background(), audittest.NewRecords(2)); err != nil {
				t.Fatal(err)
			}
			if crashed {
				path = copyTrail(t, path)
			} else if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			before := files(t, filepath.Dir(path))
			ro, err := sqlite.OpenReadOnly(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(context.Background(), ro, audit.VerifyOptions{})
			if err != nil || rep.Break != nil || rep.Records != 5 || rep.Checkpoints != 2 {
				t.Errorf("Verify = %+v, %v; want 5 records and 2 checkpoints", rep, err)
			}
			if page, _, err := ro.Query(context.Background(), audit.Filter{}, audit.Page{}); err != nil || len(page) != 5 {
				t.Errorf("Query = %d records, %v; want 5", len(page), err)
			}
			if err := ro.Append(context.Background(), audittest.NewRecords(1)); err == nil {
				t.Error("Append on a read-only store succeeded")
			}
			if err := ro.Close(); err != nil {
				t.Fatal(err)
			}
			after := files(t, filepath.Dir(path))
			if shm := path + "-shm"; before[shm] != "" { // SQLite's reader marks, in its shared-memory index
				after[shm] = before[shm]
			}
			if !maps.Equal(before, after) {
				t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestReadOnlyRefusesAMissingTrail(t *testing.T) {
	dir := t.TempDir()
	if s, err := sqlite.OpenReadOnly(context.Background(), filepath.Join(dir, "audit.db")); err == nil {
		_ = s.Close()
		t.Fatal("opened a trail that does not exist")
	}
	if n := len(files(t, dir)); n != 0 {
		t.Errorf("%d files created", n)
	}
}

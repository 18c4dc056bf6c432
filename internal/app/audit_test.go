package app_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/config"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestAuditRetentionAndShutdownCheckpoint: records older than
// --audit-retention are removed at start, a clean shutdown exports a
// checkpoint, and what is left verifies against it with the server's key.
func TestAuditRetentionAndShutdownCheckpoint(t *testing.T) {
	dir := t.TempDir()
	key, _, err := audit.LoadOrCreateKey(filepath.Join(dir, "audit-signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "audit.db")
	old := audittest.NewRecords(5)
	for i := range old {
		old[i].Time = time.Now().Add(-48 * time.Hour)
	}
	appendTo(t, sqlite.Options{Path: db, Signer: audit.NewSigner(key)}, old)

	r := startWith(t, func(c *config.Config) { c.DataDir, c.Audit.Retention = dir, 24*time.Hour }, nil)
	waitPruned(t, db)
	r.stop(t)

	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exported, err := audit.ReadExport(audit.ExportPath(db))
	if err != nil || exported == nil || exported.Kind != audit.CheckpointShutdown || exported.Seq != 5 {
		t.Fatalf("exported checkpoint = %+v, %v; want the shutdown checkpoint at seq 5", exported, err)
	}
	rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{Exported: exported, PublicKey: key.Public().(ed25519.PublicKey)})
	if err != nil || rep.Break != nil || rep.Records != 0 {
		t.Fatalf("after retention: %+v, %v; want an empty trail that verifies", rep, err)
	}
}

func appendTo(t *testing.T, opts sqlite.Options, recs []pdp.Record) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

// waitPruned waits until the trail at path holds no record.
func waitPruned(t *testing.T, path string) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if head, err := s.Head(context.Background()); err == nil && head == 0 {
			return
		}
	}
	t.Fatal("retention did not remove the old records within 10s")
}

package ship

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
)

// openLocal opens a real local trail signing a checkpoint every 100 records.
func openLocal(t testing.TB) (*sqlite.Store, ed25519.PublicKey) {
	t.Helper()
	return openLocalIndexing(t, 0)
}

// openLocalIndexing is openLocal with the indexer running every
// indexEvery (0: the default).
func openLocalIndexing(t testing.TB, indexEvery time.Duration) (*sqlite.Store, ed25519.PublicKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db"),
		Signer: audit.NewSigner(key), CheckpointEvery: 100, IndexEvery: indexEvery})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store, pub
}

func openRemote(t testing.TB, url string) *postgres.Store {
	t.Helper()
	pg, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	return pg
}

// losingRemote stores the first lose batches and then answers with an
// error, as when the connection drops before the commit's answer.
type losingRemote struct {
	Remote
	mu   sync.Mutex
	lose int
}

func (r *losingRemote) Ship(ctx context.Context, instance string, es []audit.Entry, cps []audit.Checkpoint) error {
	if err := r.Remote.Ship(ctx, instance, es, cps); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lose > 0 && len(es) > 0 {
		r.lose--
		return errors.New("connection reset before the answer")
	}
	return nil
}

// appendRecords appends n records in groups of size and returns their ids.
func appendRecords(t *testing.T, store *sqlite.Store, n, size int, ids map[string]bool) {
	t.Helper()
	for i := 0; i < n; i += size {
		recs := audittest.NewRecords(min(size, n-i))
		if err := store.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ids[r.DecisionID] = true
		}
	}
}

// shipUntil runs a shipper over local and remote while more records are
// appended, until it has shipped the local head, then stops it.
func shipUntil(t *testing.T, local *sqlite.Store, remote Remote, more func()) {
	t.Helper()
	s, err := New(Options{Instance: "replica-a", Local: local, Remote: remote, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(s)
	defer stop()
	more()
	head, err := local.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitShipped(t, s, head)
	stop()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func TestShipToPostgres(t *testing.T) {
	local, pub := openLocal(t)
	pg := openRemote(t, pgtest.NewDatabase(t))
	ids := map[string]bool{}
	appendRecords(t, local, 300, 300, ids) // before the first start
	shipUntil(t, local, pg, func() { appendRecords(t, local, 900, 37, ids) })
	// A restart: resumes from PostgreSQL's head; two answers are lost.
	shipUntil(t, local, &losingRemote{Remote: pg, lose: 2}, func() { appendRecords(t, local, 800, 50, ids) })
	if _, _, err := local.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
		t.Fatal(err)
	}
	shipUntil(t, local, pg, func() {})

	landed := map[string]int{}
	trail := pg.Trail("replica-a")
	err := trail.Entries(context.Background(), 0, func(e audit.Entry) error { landed[e.DecisionID]++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(landed) != len(ids) {
		t.Fatalf("PostgreSQL holds %d records, want %d", len(landed), len(ids))
	}
	for id, n := range landed {
		if n != 1 || !ids[id] {
			t.Fatalf("record %s landed %d times (appended: %v)", id, n, ids[id])
		}
	}
	rep, err := audit.Verify(context.Background(), trail, audit.VerifyOptions{PublicKey: pub})
	if err != nil || rep.Break != nil {
		t.Fatalf("verify the chain in PostgreSQL: %+v, %v", rep.Break, err)
	}
	localCPs, _ := local.Checkpoints(context.Background())
	if rep.Records != int64(len(ids)) || rep.Checkpoints != len(localCPs) {
		t.Fatalf("verified %d records and %d checkpoints, want %d and %d", rep.Records, rep.Checkpoints, len(ids), len(localCPs))
	}
}

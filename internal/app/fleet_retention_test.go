package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/config"
)

// TestFleetRetention: a replica started with --audit-url and
// --audit-retention drops the fleet database's days past the retention (a
// retired replica's chain there goes whole) and keeps its own chain, which
// still verifies.
func TestFleetRetention(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	db := pg.CreateDatabase(t)
	store := openFleet(t, pg.URL(db))
	old := audittest.NewRecords(5)
	chain := audit.Chain{Hash: audit.GenesisHash}
	var entries []audit.Entry
	for i := range old {
		old[i].Time = time.Now().AddDate(0, 0, -10).Add(time.Duration(i) * time.Minute)
		s, err := audit.SealEntry(chain.Hash, chain.Seq+1, old[i])
		if err != nil {
			t.Fatal(err)
		}
		entries, chain = append(entries, s.Entry), audit.Chain{Seq: s.Seq, Hash: s.Hash}
	}
	if err := store.Ship(context.Background(), "retired", entries, nil); err != nil {
		t.Fatal(err)
	}
	cfg := fleetConfig(t, pg, db, "replica-ret", "async")
	r := startWith(t, func(c *config.Config) { cfg(c); c.Audit.Retention = 48 * time.Hour }, nil)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rows := audittest.QueryAll(t, store, audit.Filter{Until: time.Now().AddDate(0, 0, -2)}, 100)
		if len(rows) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records older than the retention are still in the fleet database", len(rows))
		}
	}
	if _, err := r.client.Check(context.Background(), request()); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	rep, err := audit.Verify(context.Background(), store.Trail("replica-ret"), audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 1 {
		t.Fatalf("verify the replica's own chain after retention: %+v, %v", rep, err)
	}
}

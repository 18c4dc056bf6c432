package postgres_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestDropBeforeKeepsChainsVerifiable ships three instances' records over
// five days: "a" with its own retention checkpoint past the old days, "b"
// without one at first (its record 22 went back in time across midnight),
// and "gone" whose records all lie in the old days. Nothing is dropped
// until b's checkpoint arrives; then every chain verifies with its own key
// from its retention checkpoint, and gone's chain is gone whole.
func TestDropBeforeKeepsChainsVerifiable(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	day0 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	cutoff := day0.AddDate(0, 0, 2).Add(5 * time.Hour) // the partition of day 2 holds records after the cutoff
	retention := map[string]audit.Checkpoint{}
	keys := map[string]ed25519.PublicKey{}
	for _, id := range []string{"a", "b", "gone"} {
		recs := recordsAt(50, day0.Add(time.Hour), 2*time.Hour+7*time.Minute) // 50 records over about 4.4 days
		if id == "b" {                                                        // sealed in this order: a later seq with an earlier time
			recs[22].Time = day0.AddDate(0, 0, 2).Add(-time.Second)
		}
		if id == "gone" {
			recs = recordsAt(10, day0, time.Hour)
		}
		entries, head := seal(t, genesis(), recs)
		ship(t, s, id, entries, 20)
		signer, pub := newSigner(t)
		keys[id], retention[id] = pub, localRetention(signer, entries, head, cutoff)
	}
	shipCheckpoint(t, s, "a", retention["a"])
	if dropped, err := s.DropBefore(ctx, cutoff); !errors.Is(err, postgres.ErrRetentionPending) ||
		!strings.Contains(err.Error(), "b") || strings.Contains(err.Error(), "gone") || len(dropped) != 0 {
		t.Fatalf("DropBefore without b's checkpoint = %v, %v; want it pending on b alone", dropped, err)
	}
	shipCheckpoint(t, s, "b", retention["b"])
	dropped, err := s.DropBefore(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 2 || dropped[0] != "decisions_p20260210" || dropped[1] != "decisions_p20260211" {
		t.Fatalf("dropped %v, want the partitions of Feb 10 and 11", dropped)
	}
	for _, id := range []string{"a", "b"} {
		rep := verify(t, s, id, audit.VerifyOptions{PublicKey: keys[id]})
		if rep.LastSeq != 50 || rep.FirstSeq != retention[id].Seq+1 || rep.Records != 50-retention[id].Seq {
			t.Errorf("%s after retention: %+v, want a chain from %d to 50", id, rep, retention[id].Seq+1)
		}
	}
	if rep := verify(t, s, "gone", audit.VerifyOptions{}); rep.Records != 0 || rep.Checkpoints != 0 {
		t.Errorf("gone after retention: %+v, want nothing left", rep)
	}
	if old := audittest.QueryAll(t, s, audit.Filter{Until: day0.AddDate(0, 0, 2)}, 1000); len(old) != 0 {
		t.Errorf("%d records older than the dropped days are left", len(old))
	}
	if again, err := s.DropBefore(ctx, cutoff); err != nil || len(again) != 0 {
		t.Errorf("second run dropped %v, %v; want nothing", again, err)
	}
}

// localRetention is the checkpoint a replica's local retention signs when
// it cuts its chain at cutoff: at its newest record older than cutoff.
func localRetention(signer *audit.Signer, entries []audit.Entry, head audit.Chain, cutoff time.Time) audit.Checkpoint {
	cut := head
	for _, e := range entries {
		if e.Time.Before(cutoff) {
			cut = audit.Chain{Seq: e.Seq, Hash: e.Hash}
		}
	}
	return signer.Checkpoint(cut.Seq, cut.Hash, audit.CheckpointRetention, cutoff)
}

func shipCheckpoint(t *testing.T, s *postgres.Store, instance string, cp audit.Checkpoint) {
	t.Helper()
	if err := s.Ship(context.Background(), instance, nil, []audit.Checkpoint{cp}); err != nil {
		t.Fatalf("ship %s's checkpoint: %v", instance, err)
	}
}

// TestShipIntoADroppedDay: a replica ships a late record of a day that
// another replica's retention run dropped under its partition cache. The
// first try fails, the retry makes the partition again and lands.
func TestShipIntoADroppedDay(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s, other := openURL(t, url), openURL(t, url)
	ctx := context.Background()
	day0 := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	entries, _ := seal(t, genesis(), recordsAt(2, day0, 24*time.Hour))
	ship(t, other, "late", entries[:1], 1) // other has seen day0's partition
	if _, err := s.DropBefore(ctx, day0.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	late, _ := seal(t, audit.Chain{Seq: 1, Hash: entries[0].Hash}, recordsAt(1, day0.Add(time.Minute), 0))
	if err := other.Ship(ctx, "late", late, nil); err == nil {
		t.Fatal("ship into a dropped partition succeeded at once; the test no longer tests the retry")
	}
	if err := other.Ship(ctx, "late", late, nil); err != nil {
		t.Fatalf("retry of a late record: %v", err)
	}
	if _, err := other.GetEntry(ctx, late[0].DecisionID); err != nil {
		t.Fatalf("late record: %v", err)
	}
}

package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// TestDropBeforeKeepsChainsVerifiable ships two instances' records over
// five days, one of them with a record whose time went back across
// midnight, drops the partitions of the first two days and checks what is
// left: later records only, every chain verifying from its retention
// checkpoint, heads unchanged.
func TestDropBeforeKeepsChainsVerifiable(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	signer, pub := newSigner(t)
	day0 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	heads := map[string]audit.Chain{}
	for _, id := range []string{"a", "b"} {
		recs := recordsAt(50, day0.Add(time.Hour), 2*time.Hour+7*time.Minute) // 50 records over about 4.4 days
		if id == "b" {                                                        // sealed in this order: a later seq with an earlier time
			recs[22].Time = day0.AddDate(0, 0, 2).Add(-time.Second)
		}
		var entries []audit.Entry
		entries, heads[id] = seal(t, genesis(), recs)
		ship(t, s, id, entries, 20)
	}
	cutoff := day0.AddDate(0, 0, 2).Add(5 * time.Hour) // the partition of day 2 holds records after the cutoff
	dropped, err := s.DropBefore(ctx, cutoff, postgres.SignRetention(signer, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 2 || dropped[0] != "decisions_p20260210" || dropped[1] != "decisions_p20260211" {
		t.Fatalf("dropped %v, want the partitions of Feb 10 and 11", dropped)
	}
	for id, head := range heads {
		rep := verify(t, s, id, audit.VerifyOptions{PublicKey: pub})
		if rep.LastSeq != head.Seq || rep.FirstSeq <= 1 || rep.Records != head.Seq-rep.FirstSeq+1 {
			t.Errorf("%s after retention: %+v, want a chain ending at %d", id, rep, head.Seq)
		}
		if seq, _, err := s.Head(ctx, id); err != nil || seq != head.Seq {
			t.Errorf("%s: Head = %d, %v; want %d", id, seq, err, head.Seq)
		}
	}
	old := audittest.QueryAll(t, s, audit.Filter{Until: day0.AddDate(0, 0, 2)}, 1000)
	if len(old) != 0 {
		t.Errorf("%d records older than the dropped days are left", len(old))
	}
	if again, err := s.DropBefore(ctx, cutoff, postgres.SignRetention(signer, time.Now)); err != nil || len(again) != 0 {
		t.Errorf("second run dropped %v, %v; want nothing", again, err)
	}
	days, err := s.Partitions(ctx)
	if err != nil || len(days) == 0 || days[0].Before(day0.AddDate(0, 0, 2)) {
		t.Errorf("partitions left %v, %v", days, err)
	}
}

// TestShipIntoADroppedDay: a replica ships a late record of a day that
// another replica's retention run dropped under its partition cache. The
// first try fails, the retry makes the partition again and lands.
func TestShipIntoADroppedDay(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s, other := openURL(t, url), openURL(t, url)
	ctx := context.Background()
	signer, _ := newSigner(t)
	day0 := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	entries, _ := seal(t, genesis(), recordsAt(2, day0, 24*time.Hour))
	ship(t, other, "late", entries[:1], 1) // other has seen day0's partition
	if _, err := s.DropBefore(ctx, day0.AddDate(0, 0, 1), postgres.SignRetention(signer, time.Now)); err != nil {
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

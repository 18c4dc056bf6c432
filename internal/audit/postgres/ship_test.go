package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestShipRoundTrip ships records whose values are hard to store exactly
// and reads each back as sealed: the same record, chain place and hash,
// and a chain that verifies.
func TestShipRoundTrip(t *testing.T) {
	s := openStore(t)
	recs := unusualRecords()
	entries, _ := seal(t, genesis(), recs)
	ship(t, s, "i1", entries, len(entries))
	for i, want := range entries {
		name := fmt.Sprintf("record %d", i)
		got, err := s.GetEntry(context.Background(), want.DecisionID)
		if err != nil {
			t.Fatalf("%s: GetEntry: %v", name, err)
		}
		if got.Seq != want.Seq || got.PrevHash != want.PrevHash || got.Hash != want.Hash {
			t.Errorf("%s: chain place (%d %s %s), want (%d %s %s)", name, got.Seq, got.PrevHash, got.Hash, want.Seq, want.PrevHash, want.Hash)
		}
		want := recs[i]
		if want.SubjectID == badUTF8 { // comes back as the hash reads it
			want.SubjectID = "bad \uFFFD\uFFFD utf-8"
		}
		audittest.AssertEqual(t, got.Record, want)
	}
	rep := verify(t, s, "i1", audit.VerifyOptions{})
	if rep.Records != int64(len(recs)) {
		t.Fatalf("verified %d records, want %d", rep.Records, len(recs))
	}
}

const badUTF8 = "bad \xff\xfe utf-8"

func unusualRecords() []pdp.Record {
	base := time.Date(2026, 3, 4, 23, 59, 59, 999999999, time.FixedZone("CET", 3600))
	recs := recordsAt(10, base, 123457*time.Nanosecond)
	recs[0].SubjectID, recs[0].Error = "nul \x00 inside", "\x00"
	recs[1].SubjectID = badUTF8
	recs[2].Input = map[string]any{"s": "nul \x00 and <html> & \u2028", "n": 1e300, "f": 0.1, "neg": -0.0,
		"deep": []any{map[string]any{}, []any{}, nil, true, 12345678901234567890.0}}
	recs[3].Obligations, recs[3].Reasons, recs[3].Input = nil, nil, nil
	recs[4].Time = time.Time{} // the zero time, as a minimal record has
	recs[5].Masked, recs[5].MaskError = []string{"/input/subject"}, true
	recs[6].TraceID, recs[6].BundleDigest = "4bf92f3577b34da6a3ce929d0e0e4736", "ab12"
	recs[7].Latency, recs[7].CacheHit = 3*time.Hour+7*time.Microsecond+999, true
	recs[8].Caller, recs[8].SubjectType = "Zoë <admin> & \"friends\"\n", "ünïcode"
	recs[9].Input = map[string]any{"typed": []map[string]any{{"n": int32(3), "u": uint8(7)}}, "big": int64(1) << 60}
	return recs
}

// TestShipTwiceLandsOnce ships the same batches again, whole and
// overlapping, from two goroutines: each record is stored once.
func TestShipTwiceLandsOnce(t *testing.T) {
	s := openStore(t)
	entries, head := seal(t, genesis(), recordsAt(300, time.Now().Add(-time.Hour), time.Second))
	ship(t, s, "i1", entries[:200], 100)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { ship(t, s, "i1", entries, 128) })
	}
	wg.Wait()
	ship(t, s, "i1", entries[150:250], 100)
	ids := audittest.QueryAll(t, s, audit.Filter{}, 1000)
	if len(ids) != len(entries) {
		t.Fatalf("%d records stored, want %d", len(ids), len(entries))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("decision %s stored twice", id)
		}
		seen[id] = true
	}
	verify(t, s, "i1", audit.VerifyOptions{})
	if seq, hash, err := s.Head(context.Background(), "i1"); err != nil || seq != head.Seq || hash != head.Hash {
		t.Fatalf("Head = %d, %s, %v; want %d, %s", seq, hash, err, head.Seq, head.Hash)
	}
}

// TestShipKeepsTheFirstOfConflictingRecords: a record already stored with
// other content (a replica that sealed anew) is kept as stored, and the
// chain that conflicts fails verification rather than shipping.
func TestShipKeepsTheFirstOfConflictingRecords(t *testing.T) {
	s := openStore(t)
	recs := recordsAt(3, time.Now(), time.Millisecond)
	first, _ := seal(t, genesis(), recs)
	ship(t, s, "i1", first, 3)
	recs[1].Allow = !recs[1].Allow
	second, _ := seal(t, genesis(), recs)
	if err := s.Ship(context.Background(), "i1", second, nil); err != nil {
		t.Fatalf("Ship of a conflicting batch: %v", err)
	}
	got, err := s.GetEntry(context.Background(), recs[1].DecisionID)
	if err != nil || got.Hash != first[1].Hash {
		t.Fatalf("stored hash %s (err %v), want the first one %s", got.Hash, err, first[1].Hash)
	}
}

func TestShipCheckpointsAndHead(t *testing.T) {
	s := openStore(t)
	signer, pub := newSigner(t)
	ctx := context.Background()
	if seq, hash, err := s.Head(ctx, "fresh"); err != nil || seq != 0 || hash != audit.GenesisHash {
		t.Fatalf("Head of an unknown instance = %d, %s, %v; want 0 and the genesis", seq, hash, err)
	}
	entries, head := seal(t, genesis(), recordsAt(10, time.Now(), time.Millisecond))
	mid := signer.Checkpoint(entries[4].Seq, entries[4].Hash, audit.CheckpointCount, time.Now())
	end := signer.Checkpoint(head.Seq, head.Hash, audit.CheckpointShutdown, time.Now())
	for range 2 { // checkpoints are idempotent too
		if err := s.Ship(ctx, "i1", entries, []audit.Checkpoint{mid, end}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ship(ctx, "i1", entries[:3], nil); err != nil { // an old batch again: the head stays
		t.Fatal(err)
	}
	cps, err := s.Checkpoints(ctx, "i1")
	if err != nil || len(cps) != 2 || !sameCheckpoint(cps[0], mid) || !sameCheckpoint(cps[1], end) {
		t.Fatalf("Checkpoints = %+v, %v; want [%+v %+v]", cps, err, mid, end)
	}
	rep := verify(t, s, "i1", audit.VerifyOptions{PublicKey: pub})
	if rep.Checkpoints != 2 || rep.LastSeq != head.Seq {
		t.Fatalf("Verify = %+v", rep)
	}
	if seq, _, err := s.Head(ctx, "i1"); err != nil || seq != head.Seq {
		t.Fatalf("Head = %d, %v; want %d", seq, err, head.Seq)
	}
}

func TestShipRefusesBadInput(t *testing.T) {
	s := openStore(t)
	entries, _ := seal(t, genesis(), recordsAt(2, time.Now(), time.Millisecond))
	if err := s.Ship(context.Background(), "", entries, nil); err == nil {
		t.Error("Ship with an empty instance id succeeded")
	}
	entries[1].DecisionID = ""
	if err := s.Ship(context.Background(), "i1", entries, nil); !errors.Is(err, audit.ErrInvalidRecord) {
		t.Errorf("Ship of a record without decision id: err = %v, want audit.ErrInvalidRecord", err)
	}
	if ids, _ := s.Instances(context.Background()); len(ids) != 0 {
		t.Errorf("a refused batch left instances %v", ids)
	}
}

// TestConcurrentShippingFromThreeInstances ships three chains at once, in
// batches, each batch twice: every chain verifies and holds every record
// once; a query sees all three.
func TestConcurrentShippingFromThreeInstances(t *testing.T) {
	s := openStore(t)
	const n = 600
	chains := map[string][]audit.Entry{}
	for _, id := range []string{"replica-a", "replica-b", "replica-c"} {
		chains[id], _ = seal(t, genesis(), recordsAt(n, time.Now().Add(-time.Minute), 50*time.Millisecond))
	}
	var wg sync.WaitGroup
	for id, entries := range chains {
		wg.Go(func() {
			ship(t, s, id, entries, 64)
			ship(t, s, id, entries[n/2:], 64)
		})
	}
	wg.Wait()
	ids, err := s.Instances(context.Background())
	if err != nil || len(ids) != 3 {
		t.Fatalf("Instances = %v, %v", ids, err)
	}
	reps, err := s.VerifyAll(context.Background(), audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for id, rep := range reps {
		if rep.Break != nil || rep.Records != n {
			t.Errorf("%s: %+v (break %v), want %d records", id, rep, rep.Break, n)
		}
	}
	if got := len(audittest.QueryAll(t, s, audit.Filter{}, 1000)); got != 3*n {
		t.Fatalf("query across instances: %d records, want %d", got, 3*n)
	}
}

func sameCheckpoint(a, b audit.Checkpoint) bool {
	at := a.Time.Equal(b.Time)
	a.Time, b.Time = time.Time{}, time.Time{}
	return at && a == b
}

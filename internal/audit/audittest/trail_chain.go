package audittest

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

func testTrailTail(t *testing.T, tr Trail, recs []pdp.Record) {
	ctx := context.Background()
	n := int64(len(recs))
	cases := []struct {
		name         string
		after        int64
		limit        int
		first, count int64
	}{
		{"from the start", 0, 10, 1, 10},
		{"the last three", n - 3, 100, n - 3 + 1, 3},
		{"past the head", n, 10, 0, 0},
		{"everything", 0, len(recs) + 5, 1, n},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es, err := tr.After(ctx, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(es)) != tc.count {
				t.Fatalf("After(%d, %d): %d entries, want %d", tc.after, tc.limit, len(es), tc.count)
			}
			for i, e := range es {
				if e.Seq != tc.first+int64(i) || e.DecisionID != recs[e.Seq-1].DecisionID {
					t.Fatalf("entry %d: seq %d (decision %s), want seq %d (decision %s)", i, e.Seq, e.DecisionID,
						tc.first+int64(i), recs[tc.first+int64(i)-1].DecisionID)
				}
			}
		})
	}
	var seen []int64
	err := tr.Entries(ctx, 5, func(e audit.Entry) error { seen = append(seen, e.Seq); return nil })
	if err != nil || int64(len(seen)) != n-5 || seen[0] != 6 || seen[len(seen)-1] != n {
		t.Fatalf("Entries(after 5): %d entries from %v, err %v; want seq 6..%d", len(seen), seen[:min(len(seen), 3)], err, n)
	}
}

func testTrailVerify(t *testing.T, tr Trail, recs []pdp.Record, pub ed25519.PublicKey) {
	ctx := context.Background()
	rep, err := audit.Verify(ctx, tr, audit.VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Break != nil || rep.Records != int64(len(recs)) || rep.FirstSeq != 1 || rep.LastSeq != int64(len(recs)) {
		t.Fatalf("Verify = %+v (break %v), want %d records from seq 1 and no break", rep, rep.Break, len(recs))
	}
	cps, err := tr.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var head *audit.Checkpoint
	for i, cp := range cps {
		if cp.Kind == audit.CheckpointShutdown && cp.Seq == int64(len(recs)) {
			head = &cps[i]
		}
	}
	if head == nil {
		t.Fatalf("checkpoints %+v: no shutdown checkpoint at seq %d", cps, len(recs))
	}
	if err := audit.VerifySignature(*head, pub); err != nil {
		t.Fatalf("shutdown checkpoint as stored: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	rep, err = audit.Verify(ctx, tr, audit.VerifyOptions{PublicKey: other})
	if err != nil || rep.Break == nil {
		t.Fatalf("Verify with another trusted key = %+v, %v; want a break", rep, err)
	}
}

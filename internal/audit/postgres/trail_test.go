package postgres_test

import (
	"context"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestTrailConformance runs the read-side suite on one instance's chain,
// with another instance's records beside it in the same tables.
func TestTrailConformance(t *testing.T) {
	audittest.RunTrail(t, func(t *testing.T, recs []pdp.Record, signer *audit.Signer) audittest.Trail {
		s := openStore(t)
		entries, head := seal(t, genesis(), recs)
		cp := signer.Checkpoint(head.Seq, head.Hash, audit.CheckpointShutdown, audittest.TrailBase)
		ship(t, s, "conformance", entries, 64)
		if err := s.Ship(context.Background(), "conformance", nil, []audit.Checkpoint{cp}); err != nil {
			t.Fatal(err)
		}
		noise, _ := seal(t, genesis(), audittest.TrailRecords(50))
		ship(t, s, "other", noise, 50)
		return s.Trail("conformance")
	})
}

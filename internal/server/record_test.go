package server_test

import (
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
)

func TestRecordProtoRoundTrip(t *testing.T) {
	plan := audittest.NewRecord(2)
	plan.Kind, plan.Plan, plan.ResourceID = pdp.RecordKindPlan, audittest.PlanOf(2), ""
	for name, r := range map[string]pdp.Record{"decision": audittest.NewRecord(1), "resource plan": plan} {
		t.Run(name, func(t *testing.T) {
			want := audit.Entry{Seq: 7, PrevHash: audit.GenesisHash, Hash: "h", Record: r}
			msg, err := server.RecordToProto(want)
			if err != nil {
				t.Fatal(err)
			}
			if (msg.GetPlan() != nil) != (r.Plan != nil) || msg.GetKind() != r.Kind {
				t.Fatalf("kind %q plan %v on the wire, want %q %v", msg.GetKind(), msg.GetPlan(), r.Kind, r.Plan)
			}
			got := server.RecordFromProto(msg)
			if got.Seq != want.Seq || got.Hash != want.Hash {
				t.Fatalf("chain %d %q, want %d %q", got.Seq, got.Hash, want.Seq, want.Hash)
			}
			audittest.AssertEqual(t, got.Record, r)
		})
	}
}

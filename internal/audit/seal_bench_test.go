package audit

import (
	"fmt"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// benchRecord is a decision as the server audits it: a structpb input
// (float64 numbers), a few reasons and obligations, a trace id. extra adds
// that many attribute members to the resource, for larger inputs.
func benchRecord(extra int) pdp.Record {
	attrs := map[string]any{"level": 3.0, "owner": "user-42", "tags": []any{"pii", "finance"}}
	for i := range extra {
		attrs[fmt.Sprintf("attr_%03d", i)] = map[string]any{"n": float64(i) * 1.5, "s": "value", "b": i%2 == 0}
	}
	return pdp.Record{
		DecisionID: "0198c3a2-7d41-7c3e-9a55-2f0c6e1d4b7a", Time: time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC),
		Caller: "spiffe://example.org/svc/billing", SubjectType: "user", SubjectID: "user-42",
		ResourceType: "document", ResourceID: "doc-7", Action: "read", Allow: true,
		Reasons:     []string{"owner", "same_tenant"},
		Obligations: map[string]any{"log": true, "mask": []any{"ssn"}, "ttl": 300.0},
		Input: map[string]any{
			"subject":     map[string]any{"id": "user-42", "roles": []any{"clerk", "auditor"}, "tenant": "acme"},
			"resource":    map[string]any{"type": "document", "id": "doc-7", "attributes": attrs},
			"action":      "read",
			"environment": map[string]any{"time": "2026-01-02T03:04:05Z", "ip": "10.0.0.7", "mfa": true},
		},
		BundleRevision: "rev-1", Entrypoint: "authz/decision", Latency: 1234567 * time.Nanosecond,
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
	}
}

// BenchmarkSeal compares the fast Seal with the reference algorithm it
// replaced, on the same records.
func BenchmarkSeal(b *testing.B) {
	impls := []struct {
		name string
		seal func(string, int64, pdp.Record) (string, error)
	}{{"ref", refSeal}, {"new", Seal}}
	for _, size := range []struct {
		name  string
		extra int
	}{{"typical", 0}, {"large", 40}} {
		rec := benchRecord(size.extra)
		for _, impl := range impls {
			b.Run(size.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if _, err := impl.seal(GenesisHash, int64(i+1), rec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

package audittest

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pdp-project/pdp/internal/pdp"
)

// NewRecord returns a complete record with a fresh UUIDv7 decision id; n
// varies the subject, resource and outcome so that records differ.
func NewRecord(n int) pdp.Record {
	return pdp.Record{
		DecisionID:   uuid.Must(uuid.NewV7()).String(),
		Time:         time.Now(),
		Caller:       "spiffe://example.org/svc/billing",
		SubjectType:  "user",
		SubjectID:    fmt.Sprintf("user-%d", n),
		ResourceType: "document",
		ResourceID:   fmt.Sprintf("doc-%d", n%7),
		Action:       "read",
		Allow:        n%2 == 0,
		Reasons:      []string{"owner"},
		Obligations:  map[string]any{"log": true, "mask": []any{"ssn"}},
		Input: map[string]any{
			"subject":     map[string]any{"id": fmt.Sprintf("user-%d", n), "roles": []any{"clerk"}},
			"resource":    map[string]any{"type": "document", "attributes": map[string]any{"level": 3.0}},
			"environment": map[string]any{"time": "2026-01-02T03:04:05Z"},
		},
		BundleRevision: "rev-1",
		Entrypoint:     pdp.DefaultEntrypoint,
		Latency:        1234567 * time.Nanosecond,
	}
}

// NewRecords returns n records from NewRecord.
func NewRecords(n int) []pdp.Record {
	recs := make([]pdp.Record, n)
	for i := range recs {
		recs[i] = NewRecord(i)
	}
	return recs
}

// PlanOf returns the answer of a resource plan record, as the plan column
// holds it: a condition on the resource's owner attribute.
func PlanOf(n int) map[string]any {
	return map[string]any{"kind": pdp.PlanConditional.String(), "condition": map[string]any{
		"op": string(pdp.OpEq), "operands": []any{
			map[string]any{"field": "resource.attributes.owner"}, map[string]any{"value": fmt.Sprintf("user-%d", n)},
		}}}
}

package engine_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// BenchmarkPlanResources plans the example bundle for an editor who may
// read documents of her department or that she owns (a conditional plan
// through grants, denials, sensitivity and obligations): the latency of one
// PlanResources in the engine, with its p50 and p99.
func BenchmarkPlanResources(b *testing.B) {
	e := exampleEngine(b)
	q := pdp.PlanQuery{ResourceType: "document", Input: map[string]any{
		"subject":     map[string]any{"type": "user", "id": "alice", "roles": []any{"editor"}, "attributes": map[string]any{"department": "eng", "clearance": 2.0}},
		"action":      map[string]any{"name": "read", "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller":      map[string]any{},
	}}
	ctx := context.Background()
	plan, err := e.PlanResources(ctx, q)
	if err != nil || plan.Kind != pdp.PlanConditional {
		b.Fatalf("PlanResources = %v, %v; want a conditional plan", plan.Kind, err)
	}
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := e.PlanResources(ctx, q); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

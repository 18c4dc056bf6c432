package cache_test

import (
	"testing"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/pdp"
)

// benchInput is an input document of the example bundle, as
// pdp.Request.Input builds it.
func benchInput() map[string]any {
	return map[string]any{
		"subject": map[string]any{"type": "user", "id": "alice", "roles": []any{"editor"},
			"attributes": map[string]any{"department": "eng", "clearance": 2.0}},
		"resource": map[string]any{"type": "document", "id": "d3",
			"attributes": map[string]any{"owner": "bob", "department": "eng", "sensitivity": 1.0}},
		"action":      map[string]any{"name": "write", "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller":      map[string]any{"id": "local"},
	}
}

// BenchmarkKey derives one cache key: projected on the paths the example
// policy reads, and over the whole input when analysis cannot bound it.
func BenchmarkKey(b *testing.B) {
	paths := [][]string{{"action", "name"}, {"environment", "ip"}, {"environment", "time"},
		{"resource", "attributes"}, {"resource", "type"}, {"subject", "attributes"},
		{"subject", "id"}, {"subject", "roles"}}
	for _, tc := range []struct {
		name string
		plan pdp.Plan
	}{
		{"paths", pdp.Plan{Revision: "example-1", Entrypoint: "authz/decision", Deterministic: true, InputPaths: paths}},
		{"whole-input", pdp.Plan{Revision: "example-1", Entrypoint: "authz/decision", Deterministic: true, WholeInput: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := benchInput()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cache.Key(tc.plan, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

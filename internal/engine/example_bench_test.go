package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// BenchmarkEvaluateExample evaluates the example bundle (bundles/example,
// what make bench serves) on a request that takes its RBAC, ABAC and
// obligation rules: the cost of one uncached Check's evaluation.
func BenchmarkEvaluateExample(b *testing.B) {
	loaded, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(filepath.Join("..", "..", "bundles", "example"))).Read()
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(engine.Options{})
	activate(b, e, map[string]*bundle.Bundle{"example": &loaded})
	req := pdp.Request{
		Subject: pdp.Subject{Type: "user", ID: "alice", Roles: []string{"editor"},
			Attributes: map[string]any{"department": "eng", "clearance": 2.0}},
		Resource: pdp.Resource{Type: "document", ID: "d3",
			Attributes: map[string]any{"owner": "bob", "department": "eng", "sensitivity": 1.0}},
		Action:      pdp.Action{Name: "write"},
		Environment: map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		Caller:      "local",
	}
	q := pdp.Query{Input: req.Input(time.Unix(0, 0))}
	ctx := context.Background()
	got, err := e.Evaluate(ctx, q)
	if err != nil || !got.Allow || got.Obligations["notify_owner"] != "bob" {
		b.Fatalf("Evaluate = %+v, %v; want allow with notify_owner bob", got, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

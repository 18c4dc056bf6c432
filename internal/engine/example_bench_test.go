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
	benchmarkExample(b, engine.Options{})
}

// BenchmarkEvaluateExampleFreshGoroutine evaluates on a new goroutine each
// time, as a server does for a request outside its pool of workers: with a
// small stack that the deep recursion of evaluation makes grow.
func BenchmarkEvaluateExampleFreshGoroutine(b *testing.B) {
	e, q := exampleQuery(b, engine.Options{})
	ctx := context.Background()
	errs := make(chan error)
	b.ReportAllocs()
	for b.Loop() {
		go func() {
			_, err := e.Evaluate(ctx, q)
			errs <- err
		}()
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkExample(b *testing.B, opts engine.Options) {
	e, q := exampleQuery(b, opts)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// exampleQuery activates bundles/example and returns a query that takes its
// RBAC, ABAC and obligation rules, checked once.
func exampleQuery(b *testing.B, opts engine.Options) (*engine.Engine, pdp.Query) {
	loaded, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(filepath.Join("..", "..", "bundles", "example"))).Read()
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(opts)
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
	got, err := e.Evaluate(context.Background(), q)
	if err != nil || !got.Allow || got.Obligations["notify_owner"] != "bob" {
		b.Fatalf("Evaluate = %+v, %v; want allow with notify_owner bob", got, err)
	}
	return e, q
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

func BenchmarkEvaluate(b *testing.B) {
	e := engine.New(engine.Options{})
	activate(b, e, map[string]*bundle.Bundle{"rbac": readDir(b, "rbac")})
	req := pdp.Request{
		Subject:  pdp.Subject{Type: "user", ID: "alice", Roles: []string{"nurse", "doctor"}},
		Resource: pdp.Resource{Type: "record", ID: "r1", Attributes: map[string]any{"owner": "bob"}},
		Action:   pdp.Action{Name: "write"},
	}
	q := pdp.Query{Input: req.Input(time.Unix(0, 0))}
	ctx := context.Background()
	got, err := e.Evaluate(ctx, q)
	if err != nil || !got.Allow || len(got.Reasons) != 1 || got.Reasons[0] != "role:doctor" {
		b.Fatalf("Evaluate = %+v, %v; want allow by role:doctor", got, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

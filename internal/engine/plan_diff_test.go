package engine_test

import (
	"context"
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/plansql/plantest"
)

// exampleEngine activates bundles/example.
func exampleEngine(t testing.TB) *engine.Engine {
	t.Helper()
	b, err := bundle.NewCustomReader(bundle.NewDirectoryLoader("../../bundles/example")).Read()
	if err != nil {
		t.Fatalf("read bundles/example: %v", err)
	}
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"example": &b})
	return e
}

// checkTree asserts, for every resource, that the plan allows it iff
// Evaluate with the full input does. It returns the number allowed.
func checkTree(t *testing.T, e *engine.Engine, ep string, base map[string]any, typ string, plan pdp.ResourcePlan, rs []plantest.Resource) int {
	t.Helper()
	allowed := 0
	for _, r := range rs {
		res, err := e.Evaluate(context.Background(), pdp.Query{Entrypoint: ep, Input: plantest.Input(base, typ, r)})
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		got := planAllows(plan, r)
		if got != res.Allow {
			cond, _ := json.Marshal(plan.Condition)
			t.Fatalf("resource %v: plan says %v, Evaluate says %v (%v %s)\ninput %v\nplan %v %s",
				r, got, res.Allow, res.Reasons, res.Err, base, plan.Kind, cond)
		}
		if got {
			allowed++
		}
	}
	return allowed
}

func planAllows(p pdp.ResourcePlan, r plantest.Resource) bool {
	switch p.Kind {
	case pdp.PlanAlwaysAllowed:
		return true
	case pdp.PlanConditional:
		return plantest.Holds(*p.Condition, r)
	}
	return false
}

func TestPlanExampleMatchesEvaluate(t *testing.T) {
	e := exampleEngine(t)
	rng := rand.New(rand.NewSource(1))
	requests, rows := 200, 300
	if testing.Short() {
		requests, rows = 40, 100
	}
	pools := plantest.ExamplePools()
	kinds := map[pdp.PlanKind]int{}
	for i := 0; i < requests; i++ {
		base, typ := plantest.ExampleRequest(rng)
		plan, err := e.PlanResources(context.Background(), pdp.PlanQuery{Input: base, ResourceType: typ})
		if err != nil {
			t.Fatalf("request %d %v: %v", i, base, err)
		}
		kinds[plan.Kind]++
		rs := plantest.Resources(rng, rows, pools, plantest.Columns{"owner": all, "department": all, "sensitivity": all})
		checkTree(t, e, "", base, typ, plan, rs)
	}
	t.Logf("plan kinds: %v", kinds)
	if kinds[pdp.PlanConditional] == 0 || kinds[pdp.PlanAlwaysDenied] == 0 {
		t.Errorf("kinds %v: want conditional and always-denied plans among the requests", kinds)
	}
}

var all = []plantest.Kind{plantest.KindString, plantest.KindNumber, plantest.KindBool}

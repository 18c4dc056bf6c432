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

func TestPlanGeneratedMatchesEvaluate(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	policies, requests, rows := 150, 6, 200
	if testing.Short() {
		policies, requests, rows = 80, 3, 40
	}
	kinds, refused := map[pdp.PlanKind]int{}, 0
	for i := 0; i < policies; i++ {
		src := plantest.GenPolicy(rng, true)
		e := engine.New(engine.Options{})
		b := policy(t, "gen", "gen", src, map[string]any{"entrypoint": plantest.GenEntrypoint})
		if _, err := e.Activate(context.Background(), map[string]*bundle.Bundle{"gen": b}); err != nil {
			t.Fatalf("policy %d: %v\n%s", i, err, src)
		}
		for j := 0; j < requests; j++ {
			base, typ := plantest.GenRequest(rng)
			plan, err := planTwice(t, e, base, typ)
			if err != nil {
				refused++
				continue
			}
			kinds[plan.Kind]++
			rs := plantest.Resources(rng, rows, plantest.GenPools(), plantest.Columns{"a": all, "b": all, "c": all})
			if t.Failed() {
				return
			}
			t.Run("", func(t *testing.T) {
				defer func() {
					if t.Failed() {
						t.Logf("policy %d:\n%s", i, src)
					}
				}()
				checkTree(t, e, "", base, typ, plan, rs)
			})
		}
	}
	t.Logf("plan kinds %v, refused %d", kinds, refused)
	for _, k := range []pdp.PlanKind{pdp.PlanConditional, pdp.PlanAlwaysDenied, pdp.PlanAlwaysAllowed} {
		if kinds[k] == 0 {
			t.Errorf("no %v plan among %v", k, kinds)
		}
	}
	if refused == 0 {
		t.Errorf("no plan refused: the generator's refusable conditions were never met")
	}
}

// planTwice plans and asserts that a refusal is a FailedPrecondition and
// that planning again gives the same answer.
func planTwice(t *testing.T, e *engine.Engine, base map[string]any, typ string) (pdp.ResourcePlan, error) {
	t.Helper()
	q := pdp.PlanQuery{Input: base, ResourceType: typ}
	plan, err := e.PlanResources(context.Background(), q)
	again, err2 := e.PlanResources(context.Background(), q)
	if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || plan.Kind != again.Kind {
		t.Fatalf("planning twice: %v %v, then %v %v", plan.Kind, err, again.Kind, err2)
	}
	if err != nil && pdp.ErrorCode(err) != pdp.CodeFailedPrecondition {
		t.Fatalf("plan error %v (code %s): want failed_precondition", err, pdp.ErrorCode(err))
	}
	return plan, err
}

package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// planEngine activates one module of package authz (entrypoint
// authz/decision).
func planEngine(t *testing.T, module string) *engine.Engine {
	t.Helper()
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"authz": policy(t, "rev-7", "authz", "package authz\n\n"+module, nil)})
	return e
}

var aliceReads = map[string]any{
	"subject": map[string]any{"id": "alice", "roles": []any{"viewer"}, "attributes": map[string]any{"dept": "eng"}},
	"action":  map[string]any{"name": "read"},
}

func TestPlanResourcesTranslates(t *testing.T) {
	tests := []struct {
		name, module string
		kind         pdp.PlanKind
		cond         string // JSON of the condition, for conditional plans
	}{
		{"constant true", `decision := true`, pdp.PlanAlwaysAllowed, ""},
		{"undefined", `decision if input.subject.id == "bob"`, pdp.PlanAlwaysDenied, ""},
		{"known grant", `decision if "viewer" in input.subject.roles`, pdp.PlanAlwaysAllowed, ""},
		{"owner", `decision if input.resource.attributes.owner == input.subject.id`, pdp.PlanConditional,
			`{"op":"eq","operands":[{"field":"resource.attributes.owner"},{"value":"alice"}]}`},
		{"literal first", `decision if 3 < input.resource.attributes.level`, pdp.PlanConditional,
			`{"op":"gt","operands":[{"field":"resource.attributes.level"},{"value":3}]}`},
		{"id in set", `decision if input.resource.id in {"d1", "d2"}`, pdp.PlanConditional,
			`{"op":"in","operands":[{"field":"resource.id"},{"value":["d1","d2"]}]}`},
		{"truthy field", `decision if input.resource.attributes.public`, pdp.PlanConditional,
			`{"op":"ne","operands":[{"field":"resource.attributes.public"},{"value":false}]}`},
		{"nested attribute", `decision if input.resource.attributes.meta.level >= 2`, pdp.PlanConditional,
			`{"op":"ge","operands":[{"field":"resource.attributes.meta.level"},{"value":2}]}`},
		{"is_number by type order", `decision if is_number(input.resource.attributes.n)`, pdp.PlanConditional,
			`{"op":"and","args":[{"op":"gt","operands":[{"field":"resource.attributes.n"},{"value":true}]},{"op":"lt","operands":[{"field":"resource.attributes.n"},{"value":""}]}]}`},
		{"not of a call needs its argument", `decision if not is_string(input.resource.attributes.n)`, pdp.PlanConditional,
			`{"op":"and","args":[{"op":"exists","operands":[{"field":"resource.attributes.n"}]},{"op":"not","args":[{"op":"and","args":[{"op":"ge","operands":[{"field":"resource.attributes.n"},{"value":""}]},{"op":"lt","operands":[{"field":"resource.attributes.n"},{"value":[]}]}]}]}]}`},
		{"not of equality holds when missing", `decision if not input.resource.attributes.locked == true`, pdp.PlanConditional,
			`{"op":"not","args":[{"op":"eq","operands":[{"field":"resource.attributes.locked"},{"value":true}]}]}`},
		{"deny overrides grant", `
default decision := {"allow": false, "reasons": ["none"]}
decision := {"allow": true, "reasons": ["owner"]} if {
	input.resource.attributes.owner == input.subject.id
	not locked
}
locked if input.resource.attributes.locked == true`, pdp.PlanConditional,
			`{"op":"and","args":[{"op":"eq","operands":[{"field":"resource.attributes.owner"},{"value":"alice"}]},{"op":"not","args":[{"op":"eq","operands":[{"field":"resource.attributes.locked"},{"value":true}]}]}]}`},
		{"object that never allows", `decision := {"allow": false, "reasons": [input.resource.id]}`, pdp.PlanAlwaysDenied, ""},
		{"reasons from a field must be strings", `decision := {"allow": true, "reasons": [input.resource.attributes.why]}`, pdp.PlanConditional,
			`{"op":"and","args":[{"op":"ge","operands":[{"field":"resource.attributes.why"},{"value":""}]},{"op":"lt","operands":[{"field":"resource.attributes.why"},{"value":[]}]}]}`},
		{"invalid result", `decision := "yes" if input.resource.attributes.owner == "alice"`, pdp.PlanAlwaysDenied, ""},
		{"reasons not strings", `decision := {"allow": true, "reasons": "owner"} if input.resource.attributes.x == 1`, pdp.PlanAlwaysDenied, ""},
		{"allow from a field", `decision := {"allow": input.resource.attributes.ok}`, pdp.PlanConditional,
			`{"op":"eq","operands":[{"field":"resource.attributes.ok"},{"value":true}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := planEngine(t, tt.module)
			plan, err := e.PlanResources(context.Background(), pdp.PlanQuery{Input: aliceReads, ResourceType: "document"})
			if err != nil {
				t.Fatalf("PlanResources: %v", err)
			}
			got := ""
			if plan.Condition != nil {
				b, _ := json.Marshal(plan.Condition)
				got = string(b)
			}
			if plan.Kind != tt.kind || got != tt.cond {
				t.Errorf("plan %v %s\nwant %v %s", plan.Kind, got, tt.kind, tt.cond)
			}
			if plan.BundleRevision != "rev-7" || plan.Entrypoint != "authz/decision" || len(plan.BundleDigest) != 64 {
				t.Errorf("plan says %q %q %q: want the bundle's revision, digest and entrypoint", plan.BundleRevision, plan.BundleDigest, plan.Entrypoint)
			}
		})
	}
}

// The constructs a plan refuses, with the words of the refusal.
func TestPlanResourcesRefuses(t *testing.T) {
	tests := []struct{ name, module, want string }{
		{"built-in on a field", `decision if startswith(input.resource.attributes.path, "/pub")`,
			`the built-in startswith applied to resource.attributes.path; rule authz.decision at authz.rego:3: startswith(input.resource.attributes.path, "/pub")`},
		{"two fields", `decision if input.resource.attributes.owner == input.resource.attributes.editor`,
			"a comparison of two resource fields (resource.attributes.owner, resource.attributes.editor)"},
		{"iteration", `decision if input.resource.attributes.tags[_] == "public"`,
			"iteration over, or a dynamic or dotted key into, a resource field"},
		{"attributes as a whole", `decision if object.get(input.resource.attributes, "owner", "") == "alice"`,
			"input.resource.attributes used as a whole"},
		{"size of a field", `decision if count(input.resource.attributes.tags) > 0`, "the built-in count applied to resource.attributes.tags"},
		{"conflicting definitions", "level := 1 if input.resource.attributes.a == 1\nlevel := 2 if input.resource.attributes.b == 1\ndecision if level > 1",
			"two definitions may apply at once with different values"},
		{"non-deterministic", `decision if input.resource.attributes.expires > time.now_ns()`, "the non-deterministic built-in time.now_ns"},
		{"function on a field", "f(x) := x if x != \"\"\ndecision if f(input.resource.attributes.o) == \"alice\"", "rule authz.decision"},
		{"every", "decision if every t in input.resource.attributes.tags { t != \"secret\" }", "resource plan refused"},
		{"else", "decision := true if input.resource.attributes.a == 1 else := false", "partial evaluation leaves authz.decision as it is (an `else` chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := planEngine(t, tt.module)
			plan, err := e.PlanResources(context.Background(), pdp.PlanQuery{Input: aliceReads, ResourceType: "document"})
			if pdp.ErrorCode(err) != pdp.CodeFailedPrecondition || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PlanResources = %v, %v; want failed_precondition with %q", plan.Kind, err, tt.want)
			}
		})
	}
}

func TestPlanResourcesErrors(t *testing.T) {
	e := engine.New(engine.Options{})
	if _, err := e.PlanResources(context.Background(), pdp.PlanQuery{}); pdp.ErrorCode(err) != pdp.CodeUnavailable {
		t.Errorf("no bundle: %v, want unavailable", err)
	}
	e = planEngine(t, "decision := true")
	_, err := e.PlanResources(context.Background(), pdp.PlanQuery{Entrypoint: "authz/other"})
	var coded *pdp.Error
	if pdp.ErrorCode(err) != pdp.CodeInvalidArgument || !errorsAs(err, &coded) || coded.Field != "policy" {
		t.Errorf("undeclared entrypoint: %v, want invalid_argument on policy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.PlanResources(ctx, pdp.PlanQuery{}); err == nil || pdp.ErrorCode(err) == pdp.CodeFailedPrecondition {
		t.Errorf("canceled: %v, want the context's error", err)
	}
}

func errorsAs(err error, target **pdp.Error) bool { return errors.As(err, target) }

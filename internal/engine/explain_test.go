package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

const explainPolicy = `package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": sort(grants)} if {
	count(grants) > 0
	count(denials) == 0
}

decision := {"allow": false, "reasons": sort(denials)} if count(denials) > 0

grants contains "admin" if "admin" in input.subject.roles

denials contains "blocked" if input.subject.id == "mallory"
`

func TestExplanation(t *testing.T) {
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"b": policy(t, "r1", "authz", explainPolicy, nil)})
	tests := []struct {
		name    string
		input   map[string]any
		explain bool
		want    []string
	}{
		{"allow", who("alice", "admin"), true, []string{"allow by authz/decision",
			"decided by: authz.rego:5 decision = {\"allow\": true", `admin  <- authz.rego:12 grants contains "admin"`}},
		{"deny wins", who("mallory", "admin"), true, []string{"deny by authz/decision",
			`blocked  <- authz.rego:14 denials contains "blocked"`, `authz.rego:12  grants contains "admin"`}},
		{"default", who("bob"), true, []string{"decided by: authz.rego:3 default decision = ", "no_grant  (written in the rule that decided)"}},
		{"not asked", who("alice", "admin"), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Evaluate(context.Background(), pdp.Query{Input: tc.input, Explain: tc.explain})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.explain && res.Explanation != "" {
				t.Fatalf("explanation without asking: %q", res.Explanation)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Explanation, w) {
					t.Errorf("explanation lacks %q:\n%s", w, res.Explanation)
				}
			}
		})
	}
}

func TestExplanationOfUndefined(t *testing.T) {
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "alice")})
	res, err := e.Evaluate(context.Background(), pdp.Query{Input: map[string]any{}, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Allow || !strings.Contains(res.Explanation, "no rule of data.authz.decision held") {
		t.Fatalf("got %+v", res)
	}
}

func who(id string, roles ...any) map[string]any {
	return map[string]any{"subject": map[string]any{"id": id, "roles": roles}}
}

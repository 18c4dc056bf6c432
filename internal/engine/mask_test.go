package engine_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMaskOps(t *testing.T) {
	event := map[string]any{"input": map[string]any{"subject": map[string]any{"id": "alice"}},
		"result": map[string]any{"allow": true}}
	cases := []struct {
		name, rule  string
		want        []pdp.MaskOp
		defined     bool
		errContains string
	}{
		{"no rule", "", nil, false, ""},
		{"pointers", `mask contains "/input/subject/attributes/ssn"
mask contains "/input/environment/ip" if input.result.allow`,
			[]pdp.MaskOp{{Op: "remove", Path: "/input/environment/ip"}, {Op: "remove", Path: "/input/subject/attributes/ssn"}}, true, ""},
		{"upsert", `mask contains {"op": "upsert", "path": "/input/subject/attributes/card", "value": "****"}`,
			[]pdp.MaskOp{{Op: "upsert", Path: "/input/subject/attributes/card", Value: "****"}}, true, ""},
		{"undefined", `mask contains "/input/x" if input.input.subject.id == "bob"`, []pdp.MaskOp{}, true, ""},
		{"outside input", `mask contains "/result/allow"`, nil, true, "does not name /input"},
		{"unknown op", `mask contains {"op": "hash", "path": "/input/x"}`, nil, true, "want remove or upsert"},
		{"not a set", `mask := 7`, nil, true, "want a set"},
		{"evaluation error", `mask := ["/input/a"] if input.result.allow
mask := ["/input/b"] if input.result.allow`, nil, true, "evaluate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engine.New(engine.Options{})
			bundles := map[string]*bundle.Bundle{"authz": allowIf(t, "r1", "alice")}
			if tc.rule != "" {
				bundles["system"] = policy(t, "s1", "system", "package system.log\n"+tc.rule+"\n", nil)
			}
			activate(t, e, bundles)
			ops, defined, err := e.MaskOps(context.Background(), func() map[string]any { return event })
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) {
					t.Fatalf("err = %v, want %q", err, tc.errContains)
				}
				return
			}
			if err != nil || defined != tc.defined || len(ops) != len(tc.want) || len(ops) > 0 && !reflect.DeepEqual(ops, tc.want) {
				t.Fatalf("MaskOps = %v, %v, %v; want %v", ops, defined, err, tc.want)
			}
		})
	}
}

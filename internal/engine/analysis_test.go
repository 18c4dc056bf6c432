package engine_test

import (
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestPlan(t *testing.T) {
	cases := []struct {
		name          string
		module        string
		paths         [][]string
		whole, nondet bool
	}{
		{name: "fixed paths through helper rules and functions", module: `package authz
import rego.v1
decision := {"allow": allow, "reasons": reasons}
default allow := false
allow if { is_admin; input.action.name == "read" }
is_admin if "admin" in input.subject.roles
reasons := [r | some r in data.authz.extra]
extra := ["x"] if owner(input.resource.attributes.owner)
owner(x) := x == input.subject.id
`, paths: [][]string{{"action", "name"}, {"resource", "attributes", "owner"}, {"subject", "id"}, {"subject", "roles"}}},
		{name: "time read by the policy is a path", module: `package authz
import rego.v1
decision if { t := time.parse_rfc3339_ns(input.environment.time); [h, _, _] := time.clock(t); h >= 9; h < 17 }
`, paths: [][]string{{"environment", "time"}}},
		{name: "prefix covers deeper reads", module: `package authz
import rego.v1
decision if { x := input.subject; x.id == "a"; input.subject.attributes.level > 1 }
`, paths: [][]string{{"subject"}}},
		{name: "input passed whole", module: `package authz
import rego.v1
decision if f(input)
f(x) if x.subject.id == "a"
`, whole: true},
		{name: "input iterated", module: `package authz
import rego.v1
decision if { some k, v in input; k == "subject"; v.id == "a" }
`, whole: true},
		{name: "dynamic key right under input", module: `package authz
import rego.v1
decision if { k := "subject"; input[k].id == "a" }
`, whole: true},
		{name: "dynamic key below a fixed path", module: `package authz
import rego.v1
decision if { some k; input.resource.attributes[k] == "secret" }
`, paths: [][]string{{"resource", "attributes"}}},
		{name: "time.now_ns in a called function", module: `package authz
import rego.v1
decision if late(input.subject.id)
late(_) if time.now_ns() > 0
`, paths: [][]string{{"subject", "id"}}, nondet: true},
		{name: "uuid in an unrelated rule is not reached", module: `package authz
import rego.v1
decision if input.subject.id == "a"
other := uuid.rfc4122("x")
`, paths: [][]string{{"subject", "id"}}},
		{name: "rand through a dynamic data ref", module: `package authz
import rego.v1
decision if { k := "other"; data.authz[k] > 0 }
other := rand.intn("x", 10)
`, nondet: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engine.New(engine.Options{})
			rev := activate(t, e, map[string]*bundle.Bundle{"b": policy(t, "r1", "authz", tc.module, nil)})
			got, err := e.Plan("")
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			want := pdp.Plan{Revision: rev, Entrypoint: "authz/decision", Deterministic: !tc.nondet,
				WholeInput: tc.whole, InputPaths: tc.paths}
			if tc.whole {
				want.InputPaths = nil
			}
			if got.Digest == "" || got.Activation != 1 {
				t.Fatalf("plan: digest %q, activation %d; want a digest of the first activation", got.Digest, got.Activation)
			}
			got.Digest, got.Activation = "", 0 // see TestPlanDigest
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("plan:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

// A bundle may own the system root: a dynamic data ref can reach its rules
// like any others, so what they read and call counts.
func TestPlanReachesSystemRules(t *testing.T) {
	const vip = "package system.extra\nvip := input.subject.attributes.vip == true\n"
	const clock = vip + "clock := time.now_ns() > 0\n"
	cases := []struct {
		name, decision, system string
		whole, nondet          bool
		paths                  [][]string
	}{
		{name: "dynamic key at the data root reads input", decision: `decision := data[input.action.name].extra.vip`,
			system: vip, whole: true},
		{name: "dynamic key at the data root calls time.now_ns", decision: `decision := data[input.action.name].extra.vip`,
			system: clock, whole: true, nondet: true},
		{name: "the whole data.system subtree", decision: `decision if { d := data.system; d.extra.vip }`,
			system: clock, nondet: true, paths: [][]string{{"subject", "attributes", "vip"}}},
		{name: "constant ref into data.system", decision: `decision := data.system.extra.vip`,
			system: clock, paths: [][]string{{"subject", "attributes", "vip"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engine.New(engine.Options{})
			activate(t, e, map[string]*bundle.Bundle{"b": bundleOf(t, "r1", []string{"authz", "system"}, map[string]string{
				"authz.rego": "package authz\n" + tc.decision + "\n", "system.rego": tc.system}, nil, nil)})
			got, err := e.Plan("")
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got.WholeInput != tc.whole || got.Deterministic == tc.nondet || !reflect.DeepEqual(got.InputPaths, tc.paths) {
				t.Fatalf("plan %+v: want whole=%v deterministic=%v paths=%v", got, tc.whole, !tc.nondet, tc.paths)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	e := engine.New(engine.Options{})
	if _, err := e.Plan(""); pdp.ErrorCode(err) != pdp.CodeUnavailable {
		t.Fatalf("no bundle: got %v, want unavailable", err)
	}
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "alice")})
	if _, err := e.Plan("authz/other"); pdp.ErrorCode(err) != pdp.CodeInvalidArgument {
		t.Fatalf("undeclared entrypoint: got %v, want invalid argument", err)
	}
}

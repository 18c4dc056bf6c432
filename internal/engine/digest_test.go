package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// digestOf activates bundles in a fresh engine and returns the digest the
// plan of the default entrypoint carries.
func digestOf(t *testing.T, override string, bundles map[string]*bundle.Bundle) string {
	t.Helper()
	e := engine.New(engine.Options{Entrypoint: override})
	activate(t, e, bundles)
	p, err := e.Plan("")
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return p.Digest
}

// The digest identifies what the bundles say, not what their manifests
// declare: same content, same digest (a restart reuses shared entries);
// any change that can alter a decision, a new digest, revision or not.
func TestPlanDigest(t *testing.T) {
	const rules = "package authz\ndecision := input.subject.id == data.authz.owner\nother := true\n"
	type variant struct {
		revision, source, override, name string
		roots                            []string
		data, meta                       map[string]any
	}
	base := variant{revision: "r1", source: rules, name: "b", roots: []string{"authz"},
		data: map[string]any{"owner": "alice", "n": 1.0}, meta: map[string]any{"k": "v"}}
	build := func(v variant) map[string]*bundle.Bundle {
		return map[string]*bundle.Bundle{v.name: bundleOf(t, v.revision, v.roots, map[string]string{
			"authz/policy.rego": v.source, "authz/more.rego": "package authz\nmore := 1\n"},
			map[string]any{"authz": v.data}, v.meta)}
	}
	cases := []struct {
		name   string
		change func(*variant)
		same   bool
	}{
		{name: "same content rebuilt", change: func(*variant) {}, same: true},
		{name: "module changed, revision kept", change: func(v *variant) { v.source += "x := 1\n" }},
		{name: "data changed, revision kept", change: func(v *variant) { v.data = map[string]any{"owner": "bob", "n": 1.0} }},
		{name: "roots changed", change: func(v *variant) { v.roots = []string{"authz", "extra"} }},
		{name: "metadata changed", change: func(v *variant) { v.meta = map[string]any{"k": "w"} }},
		{name: "entrypoint override", change: func(v *variant) { v.override = "authz/other" }},
		{name: "bundle renamed", change: func(v *variant) { v.name = "c" }},
		{name: "revision changed", change: func(v *variant) { v.revision = "r2" }},
	}
	want := digestOf(t, base.override, build(base))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			tc.change(&v)
			if got := digestOf(t, v.override, build(v)); (got == want) != tc.same {
				t.Fatalf("digest %s vs %s: same=%v, want same=%v", got, want, got == want, tc.same)
			}
		})
	}
}

func TestPlanActivationCounts(t *testing.T) {
	e := engine.New(engine.Options{})
	for want := uint64(1); want <= 3; want++ {
		activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "alice")})
		if p, err := e.Plan(""); err != nil || p.Activation != want {
			t.Fatalf("activation %d: plan %+v, err %v", want, p, err)
		}
	}
}

// TestReloadUnderSameRevisionWarns: content that changes under an unchanged
// revision is told apart by digest, in the results and in a warning that
// names both digests; a reload of the same content warns of nothing.
func TestReloadUnderSameRevisionWarns(t *testing.T) {
	var logs bytes.Buffer
	e := engine.New(engine.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	digest := func() string {
		res, err := e.Evaluate(context.Background(), pdp.Query{Input: subject("alice")})
		if err != nil {
			t.Fatal(err)
		}
		return res.BundleDigest
	}
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "alice")})
	first := digest()
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "alice")})
	if strings.Contains(logs.String(), "unchanged revision") || digest() != first {
		t.Fatalf("same content: digest %s -> %s; log:\n%s", first, digest(), logs.String())
	}
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "r1", "bob")})
	second := digest()
	if second == first || !strings.Contains(logs.String(), `"previous_digest":"`+first+`"`) ||
		!strings.Contains(logs.String(), `"bundle_digest":"`+second+`"`) || !strings.Contains(logs.String(), "unchanged revision") {
		t.Errorf("changed content under r1: digests %s -> %s; log:\n%s", first, second, logs.String())
	}
}

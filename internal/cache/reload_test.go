package cache_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// constant is a bundle whose authz/decision is always value.
func constant(t testing.TB, revision, value string) *bundle.Bundle {
	return sourceBundle(t, revision, "p.rego", "package authz\n\ndecision := "+value+"\n", nil)
}

// A reload that keeps the revision (or has none) but changes what the
// bundle says must not be answered from entries of the old content; one
// that changes nothing keeps them.
func TestReloadWithSameRevisionIsNeverServedAnOldDecision(t *testing.T) {
	cases := []struct {
		name          string
		before, after func(testing.TB) *bundle.Bundle
		hit           bool
	}{
		{name: "module edited, revision kept",
			before: func(t testing.TB) *bundle.Bundle { return constant(t, "r1", "true") },
			after:  func(t testing.TB) *bundle.Bundle { return constant(t, "r1", "false") }},
		{name: "module edited, no revision",
			before: func(t testing.TB) *bundle.Bundle { return constant(t, "", "true") },
			after:  func(t testing.TB) *bundle.Bundle { return constant(t, "", "false") }},
		{name: "data edited, revision kept",
			before: func(t testing.TB) *bundle.Bundle { return policyBundle(t, "r1", "abac.rego", grants(0)) },
			after:  func(t testing.TB) *bundle.Bundle { return policyBundle(t, "r1", "abac.rego", grants(1)) }},
		{name: "same content reloaded", hit: true,
			before: func(t testing.TB) *bundle.Bundle { return policyBundle(t, "r1", "abac.rego", grants(0)) },
			after:  func(t testing.TB) *bundle.Bundle { return policyBundle(t, "r1", "abac.rego", grants(0)) }},
	}
	in := request("alice", []string{"viewer"}, nil, nil, noon)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, tc.before(t))
			c := newCache(e, e)
			eval(t, c, in)
			if res := eval(t, c, in); !res.CacheHit || !res.Allow {
				t.Fatalf("warm: %+v, want an allowed hit", res)
			}
			activate(t, e, tc.after(t))
			got, want := eval(t, c, in), eval(t, e, in)
			if got.CacheHit != tc.hit {
				t.Fatalf("after the reload: hit=%v, want %v", got.CacheHit, tc.hit)
			}
			got.CacheHit = false
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after the reload: cached %+v, fresh %+v", got, want)
			}
		})
	}
}

// Redis entries outlive the process: a restart with an edited bundle of the
// same revision must miss, one with the same content must hit.
func TestRemoteEntriesFollowBundleContent(t *testing.T) {
	store, err := redis.Open(redistest.Start(t).URL(), redis.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer store.Close()
	in := request("alice", nil, nil, nil, noon)
	starts := []struct {
		name       string
		value      string
		hit, allow bool
	}{
		{name: "first start", value: "true", allow: true},
		{name: "restart, same content", value: "true", hit: true, allow: true},
		{name: "restart, edited content, same revision", value: "false"},
		{name: "restart, first content again", value: "true", hit: true, allow: true},
	}
	for _, s := range starts {
		e := newEngine(t, constant(t, "r1", s.value))
		c := cache.New(e, e, cache.Options{TTL: time.Minute, Remote: store})
		if res := eval(t, c, in); res.CacheHit != s.hit || res.Allow != s.allow {
			t.Fatalf("%s: hit=%v allow=%v, want hit=%v allow=%v", s.name, res.CacheHit, res.Allow, s.hit, s.allow)
		}
	}
}

// swapping is the real engine where the first evaluation runs under other
// bundles: they are activated just before it and back just after, as when
// two reloads land while a miss is being evaluated.
type swapping struct {
	*engine.Engine
	t             testing.TB
	during, after *bundle.Bundle
}

func (s *swapping) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	if s.during == nil {
		return s.Engine.Evaluate(ctx, q)
	}
	activate(s.t, s.Engine, s.during)
	s.during = nil
	defer activate(s.t, s.Engine, s.after)
	return s.Engine.Evaluate(ctx, q)
}

func TestResultOfASwappedContentIsNotStored(t *testing.T) {
	e := newEngine(t, constant(t, "r1", "true"))
	c := newCache(&swapping{Engine: e, t: t, during: constant(t, "r1", "false"), after: constant(t, "r1", "true")}, e)
	in := request("alice", nil, nil, nil, noon)
	if res := eval(t, c, in); res.Allow {
		t.Fatalf("evaluation under the swapped bundle: %+v, want its deny", res)
	}
	if res := eval(t, c, in); res.CacheHit || !res.Allow {
		t.Fatalf("back on the first content: hit=%v allow=%v, want a fresh allow", res.CacheHit, res.Allow)
	}
}

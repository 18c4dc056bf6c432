// Package cachetest holds the conformance suite every decision-cache tier
// passes: the in-process LRU and Redis run the same tests.
package cachetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Run runs the suite; newTier returns an empty tier for each subtest.
func Run(t *testing.T, newTier func(t *testing.T) cache.Tier) {
	tests := []struct {
		name string
		f    func(*testing.T, cache.Tier)
	}{
		{"round trip keeps every field", roundTrip},
		{"missing key is a miss", missing},
		{"overwrite replaces", overwrite},
		{"entries expire after their ttl", expiry},
		{"concurrent use", concurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, newTier(t)) })
	}
}

// Results are representative values: obligations use the JSON types
// evaluation produces (float64 numbers).
func Results() map[string]pdp.Result {
	return map[string]pdp.Result{
		"allow": {Allow: true, Reasons: []string{"role:editor grants document:write"},
			Obligations:    map[string]any{"notify_owner": "bob", "n": 2.5, "list": []any{"a", true, nil}, "o": map[string]any{"x": 1.0}},
			BundleRevision: "rev-1", Entrypoint: "authz/decision"},
		"bare deny": {BundleRevision: "rev-1", Entrypoint: "authz/decision"},
		"undefined": {Reasons: []string{pdp.ReasonUndefined}, BundleRevision: "a:1,b:2", Entrypoint: "clinic/export"},
	}
}

func roundTrip(t *testing.T, tier cache.Tier) {
	ctx := context.Background()
	for name, want := range Results() {
		mustSet(t, tier, "rt-"+name, want, time.Minute)
		got, ok, err := tier.Get(ctx, "rt-"+name)
		if err != nil || !ok {
			t.Fatalf("%s: Get = %v, %v", name, ok, err)
		}
		if !reflect.DeepEqual(normal(got), normal(want)) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
}

// normal treats nil and empty slices and maps alike.
func normal(r pdp.Result) pdp.Result {
	if len(r.Reasons) == 0 {
		r.Reasons = nil
	}
	if len(r.Obligations) == 0 {
		r.Obligations = nil
	}
	return r
}

func missing(t *testing.T, tier cache.Tier) {
	mustSet(t, tier, "present", Results()["allow"], time.Minute)
	if _, ok, err := tier.Get(context.Background(), "absent"); ok || err != nil {
		t.Fatalf("Get(absent) = %v, %v; want a miss", ok, err)
	}
}

func overwrite(t *testing.T, tier cache.Tier) {
	mustSet(t, tier, "k", Results()["allow"], time.Minute)
	mustSet(t, tier, "k", Results()["undefined"], time.Minute)
	got, ok, err := tier.Get(context.Background(), "k")
	if err != nil || !ok || got.Allow || got.Entrypoint != "clinic/export" {
		t.Fatalf("after overwrite Get = %+v, %v, %v", got, ok, err)
	}
}

func expiry(t *testing.T, tier cache.Tier) {
	mustSet(t, tier, "short", Results()["allow"], 100*time.Millisecond)
	mustSet(t, tier, "long", Results()["allow"], time.Minute)
	if _, ok, _ := tier.Get(context.Background(), "short"); !ok {
		t.Fatal("entry gone before its ttl")
	}
	time.Sleep(250 * time.Millisecond)
	if _, ok, err := tier.Get(context.Background(), "short"); ok || err != nil {
		t.Fatalf("expired entry: Get = %v, %v; want a miss", ok, err)
	}
	if _, ok, _ := tier.Get(context.Background(), "long"); !ok {
		t.Fatal("live entry lost")
	}
}

func concurrent(t *testing.T, tier cache.Tier) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				key := fmt.Sprintf("c-%d", i%10)
				want := pdp.Result{Allow: i%2 == 0, BundleRevision: key, Entrypoint: "e"}
				_ = tier.Set(context.Background(), key, want, time.Minute)
				if got, ok, err := tier.Get(context.Background(), key); err != nil || (ok && got.BundleRevision != key) {
					t.Errorf("goroutine %d: Get(%s) = %+v, %v, %v", g, key, got, ok, err)
				}
			}
		})
	}
	wg.Wait()
}

func mustSet(t *testing.T, tier cache.Tier, key string, res pdp.Result, ttl time.Duration) {
	t.Helper()
	if err := tier.Set(context.Background(), key, res, ttl); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

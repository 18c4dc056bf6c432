package cache_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var noon = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func newCache(e cache.Evaluator, p cache.Planner) *cache.Cache {
	return cache.New(e, p, cache.Options{TTL: time.Minute, Local: cache.NewLocal(1000, nil)})
}

func eval(t testing.TB, c cache.Evaluator, in map[string]any) pdp.Result {
	t.Helper()
	res, err := c.Evaluate(context.Background(), pdp.Query{Input: in})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

// The property: whatever the inputs and however often the bundles change,
// every answer the cache gives equals a fresh evaluation now. The revision
// is drawn apart from the content: a reload may keep it or reuse an old one.
func TestCachedEqualsFreshEvaluation(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := newEngine(t, policyBundle(t, "r0", "abac.rego", grants(0)))
		c := newCache(e, e)
		for i := range rapid.IntRange(1, 60).Draw(rt, "steps") {
			if rapid.IntRange(0, 9).Draw(rt, "swap") == 0 {
				r := rapid.IntRange(0, 3).Draw(rt, "revision")
				v := rapid.IntRange(0, 3).Draw(rt, "content")
				activate(t, e, policyBundle(t, "r"+string(rune('0'+r)), "abac.rego", grants(v)))
			}
			in := request(rapid.SampledFrom([]string{"alice", "bob", "olga"}).Draw(rt, "id"),
				rapid.SliceOfDistinct(rapid.SampledFrom([]string{"viewer", "editor", "admin"}), rapid.ID[string]).Draw(rt, "roles"),
				map[string]any{"level": float64(rapid.IntRange(0, 3).Draw(rt, "level"))},
				map[string]any{"request_id": rapid.String().Draw(rt, "request_id")}, noon)
			got, want := eval(t, c, in), eval(t, e, in)
			got.CacheHit = false
			if !reflect.DeepEqual(got, want) {
				rt.Fatalf("step %d: cached %+v, fresh %+v", i, got, want)
			}
		}
	})
}

// grants is the data of revision v: which roles may read, and a threshold.
func grants(v int) map[string]any {
	roles := [][]any{{"viewer"}, {"editor"}, {"admin", "viewer"}, {}}[v]
	return map[string]any{"grants": map[string]any{"read": roles}, "min_level": float64(v)}
}

func TestUnreadAttributeStillHits(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "abac.rego", grants(0)))
	c := newCache(e, e)
	first := eval(t, c, request("alice", []string{"viewer"}, nil, map[string]any{"request_id": "a"}, noon))
	second := eval(t, c, request("alice", []string{"viewer"}, nil, map[string]any{"request_id": "b"}, noon.Add(time.Hour)))
	if first.CacheHit || !second.CacheHit || !second.Allow {
		t.Fatalf("first hit=%v, second hit=%v allow=%v; want miss then allowed hit", first.CacheHit, second.CacheHit, second.Allow)
	}
	third := eval(t, c, request("alice", []string{"editor"}, nil, nil, noon))
	if third.CacheHit || third.Allow {
		t.Fatalf("a read attribute changed: hit=%v allow=%v, want a fresh deny", third.CacheHit, third.Allow)
	}
}

func TestOfficeHoursNeverStale(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "office_hours.rego", nil))
	c := newCache(e, e)
	boundary := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	cases := []struct {
		at         time.Time
		allow, hit bool
	}{
		{boundary.Add(-2 * time.Second), true, false},
		{boundary.Add(-2 * time.Second), true, true},
		{boundary.Add(-time.Second), true, false},
		{boundary, false, false},
		{boundary, false, true},
		{boundary.Add(-time.Second), true, true},
	}
	for i, tc := range cases {
		// environment.time is filled from the clock, as the decision service does.
		res := eval(t, c, request("alice", nil, nil, nil, tc.at))
		if res.Allow != tc.allow || res.CacheHit != tc.hit {
			t.Errorf("%d at %s: allow=%v hit=%v, want allow=%v hit=%v", i, tc.at.Format(time.TimeOnly), res.Allow, res.CacheHit, tc.allow, tc.hit)
		}
	}
}

func TestNowNsIsNeverCached(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "now.rego", nil))
	c := newCache(e, e)
	for range 3 {
		if res := eval(t, c, request("alice", nil, nil, nil, noon)); res.CacheHit || !res.Allow {
			t.Fatalf("got hit=%v allow=%v, want an evaluated allow", res.CacheHit, res.Allow)
		}
	}
	if s := c.Stats(); s.Uncacheable != 3 || s.LocalHits != 0 || s.Evaluations != 0 {
		t.Fatalf("stats %+v: want 3 uncacheable, no hits", s)
	}
}

func TestNewRevisionIsNeverServedAnOldDecision(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "abac.rego", grants(0)))
	c := newCache(e, e)
	in := request("alice", []string{"viewer"}, nil, nil, noon)
	eval(t, c, in)
	if res := eval(t, c, in); !res.CacheHit || !res.Allow {
		t.Fatalf("warm: hit=%v allow=%v", res.CacheHit, res.Allow)
	}
	activate(t, e, policyBundle(t, "r2", "abac.rego", grants(1))) // viewers lose read
	res := eval(t, c, in)
	if res.CacheHit || res.Allow || res.BundleRevision != "r2" {
		t.Fatalf("after the swap: %+v, want a fresh deny from r2", res)
	}
}

func TestErrorsAndExplainAreNotCached(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "abac.rego", grants(0)))
	c := newCache(e, e)
	in := request("alice", []string{"viewer"}, nil, nil, noon)
	for range 2 {
		res, err := c.Evaluate(context.Background(), pdp.Query{Input: in, Explain: true})
		if err != nil || res.CacheHit {
			t.Fatalf("explain: hit=%v err=%v", res.CacheHit, err)
		}
	}
	if _, err := c.Evaluate(context.Background(), pdp.Query{Entrypoint: "nope/x", Input: in}); pdp.ErrorCode(err) != pdp.CodeInvalidArgument {
		t.Fatalf("undeclared entrypoint: err = %v", err)
	}
	if s := c.Stats(); s.Bypassed != 2 || s.LocalHits != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestConcurrentMissesEvaluateOnce(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "abac.rego", grants(0)))
	ce := &counting{Engine: e, gate: make(chan struct{})}
	c := newCache(ce, e)
	in := request("alice", []string{"viewer"}, nil, nil, noon)
	var wg sync.WaitGroup
	results := make([]pdp.Result, 16)
	for i := range results {
		wg.Go(func() { results[i] = eval(t, c, in) })
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up on the flight
	close(ce.gate)
	wg.Wait()
	if n := ce.n.Load(); n != 1 {
		t.Fatalf("%d evaluations for 16 identical concurrent misses, want 1", n)
	}
	for i, r := range results {
		if !r.Allow {
			t.Fatalf("caller %d: %+v", i, r)
		}
	}
}

func TestEvaluationErrorsAreNotCached(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "conflict.rego", nil))
	c := newCache(e, e)
	in := request("alice", nil, nil, nil, noon)
	for range 2 {
		if res := eval(t, c, in); res.Err == "" || res.CacheHit {
			t.Fatalf("got %+v, want an evaluated evaluation error", res)
		}
	}
	if s := c.Stats(); s.NotStored != 2 {
		t.Fatalf("stats %+v, want 2 results not stored", s)
	}
}

// stalePlanner reports the plan of an older revision, as happens when a
// bundle swap lands between Plan and Evaluate.
type stalePlanner struct{ cache.Planner }

func (s stalePlanner) Plan(ep string) (pdp.Plan, error) {
	p, err := s.Planner.Plan(ep)
	p.Revision = "old"
	return p, err
}

func TestResultOfAnotherRevisionIsNotStored(t *testing.T) {
	e := newEngine(t, policyBundle(t, "r1", "abac.rego", grants(0)))
	c := newCache(e, stalePlanner{e})
	in := request("alice", []string{"viewer"}, nil, nil, noon)
	for range 2 {
		if res := eval(t, c, in); res.CacheHit {
			t.Fatalf("a result of r1 was filed under the key of revision old")
		}
	}
}

package audittest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Run is the conformance suite of audit.Store. newStore returns a fresh,
// empty store and registers its cleanup with t.
func Run(t *testing.T, newStore func(t *testing.T) audit.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("EmptyAppend", func(t *testing.T) { testEmptyAppend(t, newStore(t)) })
	t.Run("AppendIsAtomic", func(t *testing.T) { testAtomic(t, newStore) })
	t.Run("Ping", func(t *testing.T) { testPing(t, newStore(t)) })
	t.Run("ConcurrentAppends", func(t *testing.T) { testConcurrent(t, newStore(t)) })
}

func roundTripCases() map[string]pdp.Record {
	full := NewRecord(1)
	full.Time = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	minimal := pdp.Record{DecisionID: NewRecord(0).DecisionID}
	odd := NewRecord(2)
	odd.SubjectID = "Zoë <admin> & \"friends\"\n"
	odd.Reasons = []string{"undefined", "ünïcode", ""}
	odd.Input = map[string]any{"deep": map[string]any{"a": []any{1.5, nil, true, "x", map[string]any{}}}}
	odd.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	deny := NewRecord(3)
	deny.Allow, deny.Reasons, deny.Error = false, []string{pdp.ReasonEvaluationError}, "eval_conflict_error: x"
	deny.CacheHit, deny.Obligations, deny.Latency = true, nil, 0
	plan := NewRecord(4)
	plan.Kind, plan.Plan, plan.ResourceID = pdp.RecordKindPlan, PlanOf(4), ""
	return map[string]pdp.Record{"full": full, "minimal": minimal, "unusual values": odd, "deny with error": deny,
		"resource plan": plan}
}

func testRoundTrip(t *testing.T, s audit.Store) {
	ctx := context.Background()
	cases := roundTripCases()
	var all []pdp.Record
	for _, r := range cases {
		all = append(all, r)
	}
	if err := s.Append(ctx, all); err != nil {
		t.Fatalf("Append: %v", err)
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := s.Get(ctx, want.DecisionID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			AssertEqual(t, got, want)
		})
	}
}

// AssertEqual fails t unless got is want as a store gives it back (see
// Normalize).
func AssertEqual(t testing.TB, got, want pdp.Record) {
	t.Helper()
	want, err := Normalize(want)
	if err != nil {
		t.Fatalf("normalize want: %v", err)
	}
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("time = %v, want %v in UTC", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record mismatch:\n got %#v\nwant %#v", got, want)
	}
}

func testNotFound(t *testing.T, s audit.Store) {
	_, err := s.Get(context.Background(), NewRecord(0).DecisionID)
	if !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("Get of a missing id: err = %v, want audit.ErrNotFound", err)
	}
}

func testEmptyAppend(t *testing.T, s audit.Store) {
	for _, recs := range [][]pdp.Record{nil, {}} {
		if err := s.Append(context.Background(), recs); err != nil {
			t.Fatalf("Append(%v) = %v, want nil", recs, err)
		}
	}
}

func testPing(t *testing.T, s audit.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of a fresh store: %v", err)
	}
}

func testConcurrent(t *testing.T, s audit.Store) {
	const workers, each = 8, 10
	recs := NewRecords(workers * each)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each / 2 {
				at := w*each + 2*i
				if err := s.Append(context.Background(), recs[at:at+2]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Append: %v", err)
	}
	assertPresent(t, s, recs)
}

func assertPresent(t *testing.T, s audit.Store, recs []pdp.Record) {
	t.Helper()
	for _, want := range recs {
		got, err := s.Get(context.Background(), want.DecisionID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.DecisionID, err)
		}
		AssertEqual(t, got, want)
	}
}

func nanInput() pdp.Record {
	r := NewRecord(9)
	r.Input = map[string]any{"x": math.NaN()}
	return r
}

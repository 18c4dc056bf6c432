package audittest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Trail is the read side of an audit store, as auditors use it: query,
// get, tail and the chain that audit.Verify walks.
type Trail interface {
	audit.ChainSource
	Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error)
	GetEntry(ctx context.Context, decisionID string) (audit.Entry, error)
	After(ctx context.Context, after int64, limit int) ([]audit.Entry, error)
}

// TrailFixture returns a fresh store holding recs, sealed in order from the
// genesis of a chain (seq 1 is recs[0]), followed by a shutdown checkpoint
// of the chain's head signed by signer; it registers its cleanup with t.
type TrailFixture func(t *testing.T, recs []pdp.Record, signer *audit.Signer) Trail

// RunTrail is the read-side conformance suite every audit store passes.
func RunTrail(t *testing.T, fixture TrailFixture) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := audit.NewSigner(key)
	recs := TrailRecords(200)
	open := func(t *testing.T) Trail { return fixture(t, recs, signer) }
	t.Run("Get", func(t *testing.T) { testTrailGet(t, open(t), recs) })
	t.Run("QueryFilters", func(t *testing.T) { testTrailFilters(t, open(t), recs) })
	t.Run("QueryPaging", func(t *testing.T) { testTrailPaging(t, fixture, signer) })
	t.Run("QueryBadToken", func(t *testing.T) { testTrailBadToken(t, open(t)) })
	t.Run("Tail", func(t *testing.T) { testTrailTail(t, open(t), recs) })
	t.Run("VerifyAndCheckpoints", func(t *testing.T) { testTrailVerify(t, open(t), recs, pub) })
}

// TrailBase is the time of TrailRecords' first record.
var TrailBase = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// TrailRecords returns n records, one a minute (and a few nanoseconds)
// from TrailBase, whose fields cycle so that each filter selects a known
// subset.
func TrailRecords(n int) []pdp.Record {
	recs := make([]pdp.Record, n)
	for i := range recs {
		r := NewRecord(i)
		r.Time = TrailBase.Add(time.Duration(i)*time.Minute + time.Duration(i%1000))
		r.SubjectType = []string{"user", "service"}[i%2]
		r.SubjectID = fmt.Sprintf("s%d", i%5)
		r.ResourceType = []string{"document", "invoice", "folder"}[i%3]
		r.ResourceID = fmt.Sprintf("r%d", i%4)
		r.Action = []string{"read", "write"}[i%2]
		r.Caller = fmt.Sprintf("svc-%d", i%3)
		r.BundleRevision = fmt.Sprintf("rev-%d", i/50)
		r.BundleDigest = fmt.Sprintf("%064x", i/50)
		r.Allow = i%7 != 0
		r.Reasons = []string{[]string{"owner", "admin", "undefined"}[i%3], "logged"}
		r.Entrypoint = []string{"authz/decision", "clinic/export"}[i%2]
		r.TraceID = fmt.Sprintf("%032x", i%4)
		if i%5 == 0 {
			r.Error = "eval_conflict_error: functions must not produce multiple outputs"
		}
		if i%11 == 10 {
			r.Kind, r.Plan = pdp.RecordKindPlan, PlanOf(i)
		}
		recs[i] = r
	}
	return recs
}

func testTrailGet(t *testing.T, tr Trail, recs []pdp.Record) {
	ctx := context.Background()
	chain := audit.Chain{Hash: audit.GenesisHash}
	for i, want := range recs {
		var e audit.Entry
		var err error
		if e, chain, err = chain.Next(want); err != nil {
			t.Fatal(err)
		}
		got, err := tr.GetEntry(ctx, want.DecisionID)
		if err != nil {
			t.Fatalf("GetEntry(record %d): %v", i, err)
		}
		if got.Seq != e.Seq || got.PrevHash != e.PrevHash || got.Hash != e.Hash {
			t.Fatalf("record %d: chain (%d, %.8s, %.8s), want (%d, %.8s, %.8s)", i, got.Seq, got.PrevHash, got.Hash, e.Seq, e.PrevHash, e.Hash)
		}
		AssertEqual(t, got.Record, want)
	}
	if _, err := tr.GetEntry(ctx, NewRecord(0).DecisionID); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("GetEntry of a missing id: err = %v, want audit.ErrNotFound", err)
	}
}

func testTrailFilters(t *testing.T, tr Trail, recs []pdp.Record) {
	for _, tc := range filterCases(recs) {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(recs) - 1; i >= 0; i-- {
				if tc.want(i) {
					want = append(want, recs[i].DecisionID)
				}
			}
			got := QueryAll(t, tr, tc.f, 1000)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %d ids, want %d (newest first)\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
			for i, r := range recs { // a tail filters as the query does
				if m := tc.f.Matches(audit.Entry{Record: r}); m != tc.want(i) {
					t.Fatalf("Filter.Matches(record %d) = %v, the query says %v", i, m, !m)
				}
			}
		})
	}
}

type filterCase struct {
	name string
	f    audit.Filter
	want func(i int) bool
}

// filterCases are the filters of audit.Filter over TrailRecords, with the
// records each selects.
func filterCases(recs []pdp.Record) []filterCase {
	yes, no := true, false
	at := func(i int) time.Time { return recs[i].Time }
	return []filterCase{
		{"none", audit.Filter{}, func(int) bool { return true }},
		{"subject id", audit.Filter{SubjectID: "s3"}, func(i int) bool { return i%5 == 3 }},
		{"subject type", audit.Filter{SubjectType: "service"}, func(i int) bool { return i%2 == 1 }},
		{"subject type and id", audit.Filter{SubjectType: "user", SubjectID: "s2"}, func(i int) bool { return i%10 == 2 }},
		{"resource type", audit.Filter{ResourceType: "invoice"}, func(i int) bool { return i%3 == 1 }},
		{"resource type and id", audit.Filter{ResourceType: "folder", ResourceID: "r1"}, func(i int) bool { return i%3 == 2 && i%4 == 1 }},
		{"resource id", audit.Filter{ResourceID: "r2"}, func(i int) bool { return i%4 == 2 }},
		{"action", audit.Filter{Action: "write"}, func(i int) bool { return i%2 == 1 }},
		{"allow", audit.Filter{Allow: &yes}, func(i int) bool { return i%7 != 0 }},
		{"deny", audit.Filter{Allow: &no}, func(i int) bool { return i%7 == 0 }},
		{"caller", audit.Filter{Caller: "svc-2"}, func(i int) bool { return i%3 == 2 }},
		{"bundle revision", audit.Filter{BundleRevision: "rev-3"}, func(i int) bool { return i/50 == 3 }},
		{"since (to the nanosecond)", audit.Filter{Since: at(150)}, func(i int) bool { return i >= 150 }},
		{"since one nanosecond later", audit.Filter{Since: at(150).Add(1)}, func(i int) bool { return i > 150 }},
		{"until (exclusive)", audit.Filter{Until: at(10)}, func(i int) bool { return i < 10 }},
		{"until one nanosecond later", audit.Filter{Until: at(10).Add(1)}, func(i int) bool { return i <= 10 }},
		{"time range and subject", audit.Filter{SubjectID: "s0", Since: at(20), Until: at(60)},
			func(i int) bool { return i%5 == 0 && i >= 20 && i < 60 }},
		{"decision id", audit.Filter{DecisionID: recs[42].DecisionID}, func(i int) bool { return i == 42 }},
		{"nothing matches", audit.Filter{SubjectID: "nobody"}, func(int) bool { return false }},
		{"reason", audit.Filter{Reason: "admin"}, func(i int) bool { return i%3 == 1 }},
		{"reason every record has", audit.Filter{Reason: "logged"}, func(int) bool { return true }},
		{"entrypoint", audit.Filter{Entrypoint: "clinic/export"}, func(i int) bool { return i%2 == 1 }},
		{"error text", audit.Filter{Error: "multiple outputs"}, func(i int) bool { return i%5 == 0 }},
		{"trace id", audit.Filter{TraceID: fmt.Sprintf("%032x", 3)}, func(i int) bool { return i%4 == 3 }},
	}
}

// QueryAll pages through f with pages of size and returns the decision
// ids in order.
func QueryAll(t testing.TB, tr interface {
	Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error)
}, f audit.Filter, size int) []string {
	t.Helper()
	var ids []string
	token := ""
	for page := 0; ; page++ {
		es, next, err := tr.Query(context.Background(), f, audit.Page{Size: size, Token: token})
		if err != nil {
			t.Fatalf("Query page %d: %v", page, err)
		}
		for _, e := range es {
			ids = append(ids, e.DecisionID)
		}
		if next == "" {
			return ids
		}
		if page > 100000 {
			t.Fatal("Query never ends")
		}
		token = next
	}
}

func testTrailPaging(t *testing.T, fixture TrailFixture, signer *audit.Signer) {
	recs := TrailRecords(300)
	for i := range recs {
		recs[i].Time = TrailBase.Add(time.Duration(i/3) * time.Second) // ties in time: order falls back to seq
	}
	tr := fixture(t, recs, signer)
	for _, size := range []int{1, 7, 100, 299, 300, 1000} {
		got := QueryAll(t, tr, audit.Filter{}, size)
		if len(got) != len(recs) {
			t.Fatalf("pages of %d: %d records, want %d", size, len(got), len(recs))
		}
		for i, id := range got {
			if want := recs[len(recs)-1-i].DecisionID; id != want {
				t.Fatalf("pages of %d: position %d: %s, want %s (gap, repeat or misorder)", size, i, id, want)
			}
		}
	}
}

func testTrailBadToken(t *testing.T, tr Trail) {
	for _, token := range []string{"garbage!", "Zm9v", "eA"} {
		if _, _, err := tr.Query(context.Background(), audit.Filter{}, audit.Page{Token: token}); err == nil {
			t.Errorf("token %q: want an error for a malformed token", token)
		}
	}
}

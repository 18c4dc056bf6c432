package authoring_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// traffic is recorded under bundles/example (revision A); the candidate
// (testdata/replay/candidate) only takes "share" away from editors, so
// exactly the role-granted shares change.
var traffic = []struct {
	name    string
	request string
	masked  []string
	changes bool
}{
	{"editor shares", `{"subject": {"id": "ed", "roles": ["editor"]}, "resource": {"type": "document", "id": "d1", "attributes": {"owner": "bob"}}, "action": {"name": "share"}}`, nil, true},
	{"manager shares", `{"subject": {"id": "mo", "roles": ["manager"]}, "resource": {"type": "document", "id": "d2"}, "action": {"name": "share"}}`, nil, true},
	{"editor shares own", `{"subject": {"id": "ed", "roles": ["editor"]}, "resource": {"type": "document", "id": "d3", "attributes": {"owner": "ed"}}, "action": {"name": "share"}}`, nil, true},
	{"viewer reads", `{"subject": {"id": "vi", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d4"}, "action": {"name": "read"}}`, nil, false},
	{"editor writes", `{"subject": {"id": "ed", "roles": ["editor"]}, "resource": {"type": "document", "id": "d5"}, "action": {"name": "write"}}`, nil, false},
	{"owner shares", `{"subject": {"id": "ow"}, "resource": {"type": "document", "id": "d6", "attributes": {"owner": "ow"}}, "action": {"name": "share"}}`, nil, false},
	{"editor shares, roles masked", `{"subject": {"id": "ed", "roles": ["editor"]}, "resource": {"type": "document", "id": "d7"}, "action": {"name": "share"}}`, []string{"/input/subject/roles"}, false},
	{"viewer reads, unread field masked", `{"subject": {"id": "vi", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d8", "attributes": {"color": "x"}}, "action": {"name": "read"}}`, []string{"/input/resource/attributes/color"}, false},
}

// monday10 is inside office hours, so shares are not denied for the time.
var monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestReplayReportsExactlyTheChangedSubset(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	want := recordTraffic(t, store)
	cand, err := authoring.Open(ctx, "testdata/replay/candidate")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := authoring.Replay(ctx, cand, "example-2", store.Query, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rep.Changes {
		got = append(got, c.DecisionID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("changed decisions %v, want %v", got, want)
	}
	if rep.Records != len(traffic) || rep.NotReplayable[authoring.SkipMaskedInputRead] != 1 ||
		rep.Kinds[authoring.ChangeAllowToDeny] != 2 || rep.Kinds[authoring.ChangeReasons] != 3 || rep.Unchanged != 4 {
		t.Errorf("report %+v", rep)
	}
}

func TestReplayNonDeterministicCandidate(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	recordTraffic(t, store)
	cand, err := authoring.Open(ctx, "testdata/replay/nondet")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := authoring.Replay(ctx, cand, "nondet-1", store.Query, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 0 || rep.NotReplayable[authoring.SkipNonDeterministic] != len(traffic) {
		t.Errorf("report %+v", rep)
	}
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// recordTraffic decides every request of traffic under bundles/example
// and stores the records as the PDP does; it returns the sorted ids of the
// decisions the candidate changes.
func recordTraffic(t testing.TB, store *sqlite.Store) []string {
	t.Helper()
	eng, err := authoring.Open(context.Background(), exampleBundle)
	if err != nil {
		t.Fatal(err)
	}
	var recs []pdp.Record
	var want []string
	for i, tc := range traffic {
		rec := record(t, eng, fmt.Sprintf("id-%02d", i), tc.request, monday10.Add(time.Duration(i)*time.Second))
		rec.Masked = tc.masked
		recs = append(recs, rec)
		if tc.changes {
			want = append(want, rec.DecisionID)
		}
	}
	if err := store.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return want
}

func record(t testing.TB, eng *engine.Engine, id, request string, at time.Time) pdp.Record {
	t.Helper()
	req, err := authoring.RequestFromJSON([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	q := authoring.Query(req, at)
	res, err := eng.Evaluate(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return pdp.Record{DecisionID: id, Time: at, SubjectID: req.Subject.ID, ResourceType: req.Resource.Type,
		ResourceID: req.Resource.ID, Action: req.Action.Name, Allow: res.Allow, Reasons: res.Reasons,
		Obligations: res.Obligations, Input: q.Input, BundleRevision: res.BundleRevision, Entrypoint: res.Entrypoint}
}

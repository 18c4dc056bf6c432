package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

var queryBase = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// queryRecords returns n records, one a minute from queryBase, whose fields
// cycle so that each filter selects a known subset.
func queryRecords(n int) []pdp.Record {
	recs := make([]pdp.Record, n)
	for i := range recs {
		r := audittest.NewRecord(i)
		r.Time = queryBase.Add(time.Duration(i) * time.Minute)
		r.SubjectType = []string{"user", "service"}[i%2]
		r.SubjectID = fmt.Sprintf("s%d", i%5)
		r.ResourceType = []string{"document", "invoice", "folder"}[i%3]
		r.ResourceID = fmt.Sprintf("r%d", i%4)
		r.Action = []string{"read", "write"}[i%2]
		r.Caller = fmt.Sprintf("svc-%d", i%3)
		r.BundleRevision = fmt.Sprintf("rev-%d", i/50)
		r.Allow = i%7 != 0
		recs[i] = r
	}
	return recs
}

func TestQueryFilters(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	recs := queryRecords(200)
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	cases := []struct {
		name string
		f    audit.Filter
		want func(i int, r pdp.Record) bool
	}{
		{"none", audit.Filter{}, func(int, pdp.Record) bool { return true }},
		{"subject id", audit.Filter{SubjectID: "s3"}, func(i int, _ pdp.Record) bool { return i%5 == 3 }},
		{"subject type and id", audit.Filter{SubjectType: "user", SubjectID: "s2"}, func(i int, _ pdp.Record) bool { return i%10 == 2 }},
		{"resource type", audit.Filter{ResourceType: "invoice"}, func(i int, _ pdp.Record) bool { return i%3 == 1 }},
		{"resource type and id", audit.Filter{ResourceType: "folder", ResourceID: "r1"}, func(i int, _ pdp.Record) bool { return i%3 == 2 && i%4 == 1 }},
		{"action", audit.Filter{Action: "write"}, func(i int, _ pdp.Record) bool { return i%2 == 1 }},
		{"allow", audit.Filter{Allow: &yes}, func(i int, _ pdp.Record) bool { return i%7 != 0 }},
		{"deny", audit.Filter{Allow: &no}, func(i int, _ pdp.Record) bool { return i%7 == 0 }},
		{"caller", audit.Filter{Caller: "svc-2"}, func(i int, _ pdp.Record) bool { return i%3 == 2 }},
		{"bundle revision", audit.Filter{BundleRevision: "rev-3"}, func(i int, _ pdp.Record) bool { return i/50 == 3 }},
		{"since", audit.Filter{Since: queryBase.Add(150 * time.Minute)}, func(i int, _ pdp.Record) bool { return i >= 150 }},
		{"until", audit.Filter{Until: queryBase.Add(10 * time.Minute)}, func(i int, _ pdp.Record) bool { return i < 10 }},
		{"time range and subject", audit.Filter{SubjectID: "s0", Since: queryBase.Add(20 * time.Minute), Until: queryBase.Add(60 * time.Minute)},
			func(i int, _ pdp.Record) bool { return i%5 == 0 && i >= 20 && i < 60 }},
		{"decision id", audit.Filter{DecisionID: recs[42].DecisionID}, func(i int, _ pdp.Record) bool { return i == 42 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(recs) - 1; i >= 0; i-- {
				if tc.want(i, recs[i]) {
					want = append(want, recs[i].DecisionID)
				}
			}
			got := queryAll(t, s, tc.f, 1000)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %d ids, want %d (newest first)\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
			for i, r := range recs { // a tail filters as the query does
				if m := tc.f.Matches(audit.Entry{Record: r}); m != tc.want(i, r) {
					t.Fatalf("Filter.Matches(record %d) = %v, the query says %v", i, m, !m)
				}
			}
		})
	}
}

// queryAll pages through f and returns the decision ids in order.
func queryAll(t *testing.T, s *sqlite.Store, f audit.Filter, size int) []string {
	return audittest.QueryAll(t, s, f, size)
}

func TestQueryPagesThroughTenThousand(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	recs := queryRecords(10000)
	for i := range recs {
		recs[i].Time = queryBase.Add(time.Duration(i/3) * time.Second) // ties in time: order falls back to seq
	}
	for i := 0; i < len(recs); i += 1000 {
		if err := s.Append(context.Background(), recs[i:i+1000]); err != nil {
			t.Fatal(err)
		}
	}
	got := queryAll(t, s, audit.Filter{}, 97)
	if len(got) != len(recs) {
		t.Fatalf("paged %d records, want %d", len(got), len(recs))
	}
	for i, id := range got {
		if want := recs[len(recs)-1-i].DecisionID; id != want {
			t.Fatalf("position %d: %s, want %s (gap, repeat or misorder)", i, id, want)
		}
	}
}

func TestQueryRejectsBadToken(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	if _, _, err := s.Query(context.Background(), audit.Filter{}, audit.Page{Token: "garbage!"}); err == nil {
		t.Fatal("want an error for a malformed token")
	}
}

// TestQueryPlansUseIndexes runs EXPLAIN QUERY PLAN for each filter and
// expects an index search rather than a scan of the table.
func TestQueryPlansUseIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	openStore(t, sqlite.Options{Path: path})
	raw := rawDB(t, path)
	yes, no := true, false
	cur := audit.Cursor{Time: "2026-01-01T00:00:00.000000000Z", Seq: 10}
	cases := map[string]audit.Filter{
		"subject id": {SubjectID: "s"}, "subject": {SubjectType: "user", SubjectID: "s"},
		"resource": {ResourceType: "doc", ResourceID: "d"}, "resource type": {ResourceType: "doc"},
		"action": {Action: "read"}, "caller": {Caller: "c"}, "bundle revision": {BundleRevision: "r"},
		"allow": {Allow: &yes}, "deny": {Allow: &no}, "since": {Since: queryBase}, "until": {Until: queryBase},
		"decision id": {DecisionID: "x"}, "subject and time": {SubjectID: "s", Since: queryBase, Until: queryBase},
	}
	for name, f := range cases {
		for _, c := range []audit.Cursor{{}, cur} {
			q, args := sqlite.QuerySQL(f, c)
			rows, err := raw.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			text := strings.Join(plan, "; ")
			t.Logf("%s: %s", name, text)
			if !strings.Contains(text, "USING INDEX") && !strings.Contains(text, "USING COVERING INDEX") ||
				strings.Contains(text, "SCAN decisions") && !strings.Contains(text, "INDEX") {
				t.Errorf("%s (cursor %v): plan %q uses no index", name, c.Time != "", text)
			}
			if name == "deny" && !strings.Contains(text, "decisions_deny") {
				t.Errorf("deny (cursor %v): plan %q does not use the index of denies", c.Time != "", text)
			}
		}
	}
}

// TestQueryNewFilters: reason, entrypoint, error text and trace id, in the
// trail and in the journal alike, as Filter.Matches selects.
func TestQueryNewFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	recs := queryRecords(40)
	for i := range recs {
		recs[i].Reasons = []string{[]string{"owner", "admin", "undefined"}[i%3], "logged"}
		recs[i].Entrypoint = []string{"authz/decision", "clinic/export"}[i%2]
		recs[i].Error = map[bool]string{true: "eval_conflict_error: x", false: ""}[i%5 == 0]
		recs[i].TraceID = fmt.Sprintf("%032x", i%4)
	}
	if err := s.Append(context.Background(), recs[:20]); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	t.Cleanup(stick(t, rawDB(t, path)))
	if err := s.Append(context.Background(), recs[20:]); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]audit.Filter{
		"reason": {Reason: "admin"}, "reason shared": {Reason: "logged"}, "entrypoint": {Entrypoint: "clinic/export"},
		"error text": {Error: "conflict"}, "trace id": {TraceID: fmt.Sprintf("%032x", 3)}, "reason none": {Reason: "nope"},
	} {
		t.Run(name, func(t *testing.T) {
			var want []string
			for i := len(recs) - 1; i >= 0; i-- {
				if f.Matches(audit.Entry{Record: recs[i]}) {
					want = append(want, recs[i].DecisionID)
				}
			}
			if got := queryAll(t, s, f, 7); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %d ids, want %d\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
}

// TestStatsGroups counts allow and deny per group, in the trail and the
// journal alike, as audit.Tally counts the same records.
func TestStatsGroups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	recs := queryRecords(60)
	for i := range recs {
		recs[i].Reasons = []string{[]string{"owner", "admin"}[i%2], "logged"}
	}
	if err := s.Append(context.Background(), recs[:30]); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	t.Cleanup(stick(t, rawDB(t, path)))
	if err := s.Append(context.Background(), recs[30:]); err != nil {
		t.Fatal(err)
	}
	f := audit.Filter{Until: queryBase.Add(50 * time.Minute)}
	for _, by := range audit.StatsGroupings {
		t.Run(by, func(t *testing.T) {
			want := audit.Tally{}
			for _, r := range recs {
				if f.Matches(audit.Entry{Record: r}) {
					want.Add(audit.Entry{Record: r}, by)
				}
			}
			got, err := s.Stats(context.Background(), f, by)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want.Groups()) {
				t.Errorf("got  %v\nwant %v", got, want.Groups())
			}
		})
	}
	if _, err := s.Stats(context.Background(), f, "weather"); err == nil {
		t.Error("grouping by an unknown field succeeded")
	}
}

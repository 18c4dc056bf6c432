package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// fleet ships audittest.TrailRecords split round-robin over three
// instances, each its own chain, and returns the rows in time order.
func fleet(t *testing.T, s *postgres.Store, n int) []postgres.Row {
	t.Helper()
	recs := audittest.TrailRecords(n)
	names := []string{"a", "b", "c"}
	chains := map[string]audit.Chain{}
	rows := make([]postgres.Row, n)
	for i, r := range recs {
		id := names[i%3]
		if chains[id].Hash == "" {
			chains[id] = genesis()
		}
		e, next, err := chains[id].Next(r)
		if err != nil {
			t.Fatal(err)
		}
		chains[id], rows[i] = next, postgres.Row{Instance: id, Entry: e}
	}
	for _, id := range names {
		var es []audit.Entry
		for _, r := range rows {
			if r.Instance == id {
				es = append(es, r.Entry)
			}
		}
		ship(t, s, id, es, 100)
	}
	return rows
}

// TestQueryFiltersAcrossInstances checks every filter, Instance included,
// over three instances' records, against Filter.MatchesIn.
func TestQueryFiltersAcrossInstances(t *testing.T) {
	s := openStore(t)
	rows := fleet(t, s, 300)
	yes := true
	cases := []struct {
		name string
		f    audit.Filter
	}{
		{"none", audit.Filter{}},
		{"instance", audit.Filter{Instance: "b"}},
		{"instance and subject", audit.Filter{Instance: "c", SubjectID: "s3"}},
		{"instance and allow", audit.Filter{Instance: "a", Allow: &yes}},
		{"instance and time", audit.Filter{Instance: "a", Since: rows[30].Time, Until: rows[90].Time}},
		{"unknown instance", audit.Filter{Instance: "z"}},
		{"subject across instances", audit.Filter{SubjectID: "s1", SubjectType: "service"}},
		{"resource", audit.Filter{ResourceType: "folder", ResourceID: "r3"}},
		{"caller and action", audit.Filter{Caller: "svc-1", Action: "read"}},
		{"revision", audit.Filter{BundleRevision: "rev-5"}},
		{"decision id", audit.Filter{DecisionID: rows[77].DecisionID}},
		{"value with NUL", audit.Filter{SubjectID: "s1\x00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(rows) - 1; i >= 0; i-- {
				if tc.f.MatchesIn(rows[i].Instance, rows[i].Entry) {
					want = append(want, rows[i].DecisionID)
				}
			}
			got := audittest.QueryAll(t, s, tc.f, 7)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %d ids, want %d (newest first)\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
}

// TestQueryPagesThroughTiesAcrossInstances: records of three instances at
// the same times and seqs page in a stable order, none lost or repeated.
func TestQueryPagesThroughTiesAcrossInstances(t *testing.T) {
	s := openStore(t)
	base := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	total := 0
	for _, id := range []string{"x", "y", "z"} {
		recs := recordsAt(150, base, 0)
		for i := range recs {
			recs[i].Time = base.Add(time.Duration(i/10) * time.Microsecond)
		}
		entries, _ := seal(t, genesis(), recs)
		ship(t, s, id, entries, 150)
		total += len(recs)
	}
	all := audittest.QueryAll(t, s, audit.Filter{}, 1000)
	for _, size := range []int{1, 4, 33, 449} {
		got := audittest.QueryAll(t, s, audit.Filter{}, size)
		if len(got) != total || strings.Join(got, ",") != strings.Join(all, ",") {
			t.Fatalf("pages of %d: %d records, want the %d of one page in the same order", size, len(got), total)
		}
	}
	rows, _, err := s.QueryRows(context.Background(), audit.Filter{}, audit.Page{Size: 3})
	if err != nil || len(rows) != 3 || rows[0].Instance != "z" || rows[0].Seq != 150 || rows[2].Instance != "x" {
		t.Fatalf("first page = %+v, %v; want seq 150 of z, y, x", rows, err)
	}
}

// TestQueryPlansUseIndexes fills one day's partition with enough rows that
// a scan of it would be the wrong plan, and expects every filter's plan to
// read it through an index (the empty partitions around today may be
// scanned: they hold nothing).
func TestQueryPlansUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a partition")
	}
	url := pgtest.NewDatabase(t)
	s := openURL(t, url)
	base := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	recs := recordsAt(20000, base, 4*time.Second)
	for i := range recs {
		recs[i].SubjectID, recs[i].ResourceID = fmt.Sprintf("user-%d", i%997), fmt.Sprintf("doc-%d", i%991)
		recs[i].Caller, recs[i].Action = fmt.Sprintf("svc-%d", i%50), fmt.Sprintf("act-%d", i%40)
		recs[i].BundleRevision, recs[i].Allow = fmt.Sprintf("rev-%d", i/1000), i%50 != 0
	}
	entries, _ := seal(t, genesis(), recs)
	ship(t, s, "big", entries, 2000)
	analyze(t, url)
	no := false
	for _, f := range []audit.Filter{
		{}, {DecisionID: recs[5].DecisionID}, {SubjectID: "user-3"}, {SubjectID: "user-3", SubjectType: "user"},
		{ResourceType: "document", ResourceID: "doc-9"}, {Action: "act-7"}, {Caller: "svc-3"},
		{BundleRevision: "rev-4"}, {Allow: &no}, {Instance: "big"}, {Since: base.Add(time.Hour), Until: base.Add(2 * time.Hour)},
	} {
		plan := explain(t, url, f)
		if strings.Contains(plan, "Seq Scan on decisions_p20260602") || !strings.Contains(plan, "Index") {
			t.Errorf("filter %+v: plan does not use an index:\n%s", f, plan)
		}
	}
}

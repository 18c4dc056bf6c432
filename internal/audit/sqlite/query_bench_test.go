package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

// bigRecordsEnv sets the size of the trail BenchmarkQueryLarge builds
// (e.g. 1000000); unset, the benchmark is skipped: building a million
// records takes minutes.
const bigRecordsEnv = "PDP_AUDIT_BENCH_RECORDS"

// BenchmarkQueryLarge measures one page (100 records, newest first) of
// every documented filter over a large trail (10,000 subjects, records
// spread evenly over 30 days, a rare action and a few callers and
// revisions), idle and while 16 writers append through a Writer.
//
//	PDP_AUDIT_BENCH_RECORDS=1000000 go test -run '^$' -bench QueryLarge -benchmem ./internal/audit/sqlite
func BenchmarkQueryLarge(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(bigRecordsEnv))
	if n <= 0 {
		b.Skipf("set %s to the number of records to build", bigRecordsEnv)
	}
	s := openStore(b, sqlite.Options{Path: filepath.Join(b.TempDir(), "audit.db")})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / time.Duration(n)
	ids := buildLarge(b, s, n, start, step)
	for _, load := range []string{"idle", "16-writers"} {
		b.Run(load, func(b *testing.B) {
			if load != "idle" {
				defer writeLoad(b, s, 16)()
			}
			for name, f := range largeFilters(start, ids) {
				b.Run(name, func(b *testing.B) { queryLoop(b, s, f) })
			}
		})
	}
}

// largeFilters is every filter of audit.Filter, as buildLarge's trail
// answers them.
func largeFilters(start time.Time, ids []string) map[string]audit.Filter {
	mid, no, yes := start.Add(15*24*time.Hour), false, true
	return map[string]audit.Filter{
		"decision-id":        {DecisionID: ids[len(ids)/2]},
		"subject":            {SubjectType: "user", SubjectID: "u4242"},
		"subject-id":         {SubjectID: "u4242"},
		"resource":           {ResourceType: "document", ResourceID: "doc-3"},
		"resource-type":      {ResourceType: "document"},
		"action-rare":        {Action: "delete"},
		"caller":             {Caller: "svc-2"},
		"bundle-revision":    {BundleRevision: "rev-0"},
		"allow":              {Allow: &yes},
		"deny":               {Allow: &no},
		"since":              {Since: mid},
		"until":              {Until: start.Add(time.Hour)},
		"time-range-1h":      {Since: mid, Until: mid.Add(time.Hour)},
		"subject+time-range": {SubjectID: "u4242", Since: start, Until: mid},
		"resource+deny":      {ResourceType: "document", ResourceID: "doc-3", Allow: &no},
	}
}

func queryLoop(b *testing.B, s *sqlite.Store, f audit.Filter) {
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		es, _, err := s.Query(context.Background(), f, audit.Page{Size: 100})
		if err != nil {
			b.Fatal(err)
		}
		rows = len(es)
	}
	b.ReportMetric(float64(rows), "rows")
}

// writeLoad appends from writers goroutines through a Writer until the
// returned func is called.
func writeLoad(b *testing.B, s *sqlite.Store, writers int) func() {
	w := audit.NewWriter(s, audit.WriterOptions{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := w.Write(context.Background(), []pdp.Record{audittest.NewRecord(g*1e6 + i)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	return func() { close(stop); wg.Wait(); _ = w.Close() }
}

// buildLarge appends n records and returns their decision ids.
func buildLarge(b *testing.B, s *sqlite.Store, n int, start time.Time, step time.Duration) []string {
	b.Helper()
	t0 := time.Now()
	const batch = 5000
	recs := make([]pdp.Record, 0, batch)
	ids := make([]string, 0, n)
	for i := range n {
		r := audittest.NewRecord(i)
		r.Time = start.Add(time.Duration(i) * step)
		r.SubjectID = fmt.Sprintf("u%d", i%10000)
		r.Action = map[bool]string{true: "delete", false: []string{"read", "write"}[i%2]}[i%1000 == 7]
		r.Caller = fmt.Sprintf("svc-%d", i%3)
		r.BundleRevision = fmt.Sprintf("rev-%d", i*10/n)
		r.Allow = i%7 != 0
		ids = append(ids, r.DecisionID)
		if recs = append(recs, r); len(recs) == batch || i == n-1 {
			if err := s.Append(context.Background(), recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d records in %v", n, time.Since(t0).Round(time.Second))
	return ids
}

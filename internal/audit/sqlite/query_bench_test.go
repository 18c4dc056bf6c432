package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// BenchmarkQueryLarge measures one page (100 records, newest first) of a
// subject filter and of a one-hour time range over a large trail: 10,000
// subjects, records spread evenly over 30 days.
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
	buildLarge(b, s, n, start, step)
	mid := start.Add(15 * 24 * time.Hour)
	cases := map[string]audit.Filter{
		"subject":             {SubjectType: "user", SubjectID: "u4242"},
		"time-range-1h":       {Since: mid, Until: mid.Add(time.Hour)},
		"subject+time-range":  {SubjectID: "u4242", Since: start, Until: mid},
		"resource+decision":   {ResourceType: "document", ResourceID: "doc-3", Allow: new(bool)},
		"no-filter-last-page": {Until: start.Add(time.Hour)},
	}
	for name, f := range cases {
		b.Run(name, func(b *testing.B) {
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
		})
	}
}

func buildLarge(b *testing.B, s *sqlite.Store, n int, start time.Time, step time.Duration) {
	b.Helper()
	t0 := time.Now()
	const batch = 5000
	recs := make([]pdp.Record, 0, batch)
	for i := range n {
		r := audittest.NewRecord(i)
		r.Time = start.Add(time.Duration(i) * step)
		r.SubjectID = fmt.Sprintf("u%d", i%10000)
		recs = append(recs, r)
		if len(recs) == batch || i == n-1 {
			if err := s.Append(context.Background(), recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	b.Logf("built %d records in %v", n, time.Since(t0).Round(time.Second))
}

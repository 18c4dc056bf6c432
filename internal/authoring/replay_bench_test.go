package authoring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/pdp"
)

// benchRecords is the size of the recorded trail replayed.
const benchRecords = 100_000

// BenchmarkReplay replays 100,000 recorded decisions under the candidate,
// side by side with only reading them (the trail's own cost), and reports
// records/s:
//
//	go test -run '^$' -bench Replay -benchmem -benchtime 3x ./internal/authoring
func BenchmarkReplay(b *testing.B) {
	ctx := context.Background()
	store := openStore(b)
	fillTrail(b, store, benchRecords)
	cand, err := authoring.Open(ctx, "testdata/replay/candidate")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("read-only", func(b *testing.B) {
		for b.Loop() {
			if n := readAll(b, store); n != benchRecords {
				b.Fatalf("read %d records", n)
			}
		}
		b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("replay", func(b *testing.B) {
		for b.Loop() {
			rep, err := authoring.Replay(ctx, cand, "example-2", store.Query, audit.Filter{})
			if err != nil || rep.Records != benchRecords {
				b.Fatalf("%v %+v", err, rep.Records)
			}
		}
		b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

func readAll(b *testing.B, store *sqlite.Store) int {
	n, page := 0, audit.Page{Size: audit.MaxPageSize}
	for {
		entries, next, err := store.Query(context.Background(), audit.Filter{}, page)
		if err != nil {
			b.Fatal(err)
		}
		n += len(entries)
		if next == "" {
			return n
		}
		page.Token = next
	}
}

// fillTrail records n decisions of the traffic mix in batches of 1,000.
func fillTrail(b *testing.B, store *sqlite.Store, n int) {
	eng, err := authoring.Open(context.Background(), exampleBundle)
	if err != nil {
		b.Fatal(err)
	}
	templates := make([]pdp.Record, len(traffic))
	for i, tc := range traffic {
		templates[i] = record(b, eng, "t", tc.request, monday10)
	}
	for start := 0; start < n; start += 1000 {
		batch := make([]pdp.Record, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			rec := templates[i%len(templates)]
			rec.DecisionID, rec.Time = fmt.Sprintf("id-%07d", i), monday10.Add(time.Duration(i)*time.Millisecond)
			batch = append(batch, rec)
		}
		if err := store.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

// benchWriters is the number of concurrent writers per GOMAXPROCS, standing
// in for concurrent Check calls.
const benchWriters = 32

var syncModes = []string{"normal", "full"}

// BenchmarkWriter measures decisions per second through the group-commit
// Writer: every op is one Write of one record, from many goroutines.
func BenchmarkWriter(b *testing.B) {
	for _, mode := range syncModes {
		b.Run("sync="+mode, func(b *testing.B) {
			s := openStore(b, sqlite.Options{Sync: mode})
			w := audit.NewWriter(s, audit.WriterOptions{})
			defer w.Close()
			runParallel(b, s, func(r pdp.Record) error { return w.Write(context.Background(), []pdp.Record{r}) })
		})
	}
}

// BenchmarkWriterCheckpoints is BenchmarkWriter with the server's
// defaults on top of the hash chain: a signed checkpoint every 1000 records,
// exported beside the database.
func BenchmarkWriterCheckpoints(b *testing.B) {
	for _, mode := range syncModes {
		b.Run("sync="+mode, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "audit.db")
			s := openStore(b, sqlite.Options{Path: path, Sync: mode, Signer: testSigner(b), CheckpointEvery: 1000,
				ExportPath: audit.ExportPath(path)})
			w := audit.NewWriter(s, audit.WriterOptions{})
			defer w.Close()
			runParallel(b, s, func(r pdp.Record) error { return w.Write(context.Background(), []pdp.Record{r}) })
		})
	}
}

// BenchmarkAppendSingle is the baseline without grouping: every op is one
// Store.Append (one transaction) of one record, from as many goroutines.
func BenchmarkAppendSingle(b *testing.B) {
	for _, mode := range syncModes {
		b.Run("sync="+mode, func(b *testing.B) {
			s := openStore(b, sqlite.Options{Sync: mode})
			runParallel(b, s, func(r pdp.Record) error { return s.Append(context.Background(), []pdp.Record{r}) })
		})
	}
}

// runParallel writes b.N records concurrently, then moves them into the
// trail (pending.go), so that the figure covers both steps of a record.
func runParallel(b *testing.B, s *sqlite.Store, write func(pdp.Record) error) {
	b.ReportAllocs()
	b.SetParallelism(benchWriters)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := write(audittest.NewRecord(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
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

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriter measures decisions per second through the group-commit
// Writer, every op one Write of one record from many goroutines, and the
// CPU per record until the trail has indexed all of them.
func BenchmarkWriter(b *testing.B) {
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

// BenchmarkWritePath splits the CPU of a record among the steps of the
// write path, in batches of 64 records (a busy server's group commit):
// seal (canonical encoding and hash), journal (seal, uniqueness and the
// durable append), index (the insert into the trail).
func BenchmarkWritePath(b *testing.B) {
	const batch = 64
	b.Run("seal", func(b *testing.B) {
		recs := audittest.NewRecords(b.N)
		chain := audit.Chain{Hash: audit.GenesisHash}
		cpuPerRecord(b, func(n int) {
			for i := 0; i < n; i++ {
				var err error
				if _, chain, err = chain.Seal(recs[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	for _, step := range []string{"journal", "index", "journal+index"} {
		b.Run(step, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "audit.db")
			s := openStore(b, sqlite.Options{Path: path, IndexEvery: time.Hour})
			recs := audittest.NewRecords(b.N + batch)
			appendAll := func(n int) {
				for i := 0; i < n; i += batch {
					if err := s.Append(context.Background(), recs[i:i+batch]); err != nil {
						b.Fatal(err)
					}
				}
			}
			flushAll := func() {
				if err := s.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			switch step {
			case "journal":
				cpuPerRecord(b, appendAll)
			case "index":
				appendAll(b.N)
				cpuPerRecord(b, func(int) { flushAll() })
			default:
				cpuPerRecord(b, func(n int) { appendAll(n); flushAll() })
				b.ReportMetric(float64(diskBytes(b, path))/float64(b.N), "disk-bytes/record")
				b.ReportMetric(float64(fileSize(path))/float64(b.N), "db-bytes/record")
			}
		})
	}
}

// cpuPerRecord runs fn for b.N records (rounded up to whole batches by fn)
// and reports the process's CPU per record.
func cpuPerRecord(b *testing.B, fn func(n int)) {
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	fn(b.N)
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/1e3/float64(b.N), "cpu-µs/record")
}

// runParallel writes b.N records concurrently, then indexes them into the
// trail, so that the figures cover every step of a record.
func runParallel(b *testing.B, s *sqlite.Store, write func(pdp.Record) error) {
	b.ReportAllocs()
	b.SetParallelism(benchWriters)
	start, cpu := time.Now(), cpuTime()
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
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/1e3/float64(b.N), "cpu-µs/record")
}

// diskBytes is the size of the trail's files: the database, its
// write-ahead log (bounded by SQLite's checkpoints, not per record) and the
// journal's segments.
func diskBytes(b *testing.B, path string) int64 {
	files, _ := filepath.Glob(path + "*")
	segs, _ := filepath.Glob(filepath.Join(sqlite.JournalDir(path), "*"))
	var n int64
	for _, f := range append(files, segs...) {
		if info, err := os.Stat(f); err == nil && !info.IsDir() {
			n += info.Size()
		}
	}
	return n
}

// fileSize is the size of one file (0 when it is missing).
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

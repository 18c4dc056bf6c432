package ship

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// benchRecords is the backlog BenchmarkShipPostgres drains.
const benchRecords = 20000

// BenchmarkShipPostgres drains a backlog of benchRecords records from a
// SQLite trail into a durable PostgreSQL (fsync on), as a restarted or
// reconnected replica does: records/s, and the CPU per record of the
// replica (this process: reading the local trail, encoding, the client)
// and of the PostgreSQL server.
func BenchmarkShipPostgres(b *testing.B) {
	local, _ := openLocal(b)
	ctx := context.Background()
	for i := 0; i < benchRecords; i += 500 {
		if err := local.Append(ctx, audittest.NewRecords(500)); err != nil {
			b.Fatal(err)
		}
	}
	if err := local.Flush(ctx); err != nil { // into the SQLite trail, as an old backlog is
		b.Fatal(err)
	}
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	var wall, cpu, server time.Duration
	for b.Loop() {
		w, c, s := drainOnce(b, local, pg)
		wall, cpu, server = wall+w, cpu+c, server+s
	}
	n := float64(b.N * benchRecords)
	b.ReportMetric(n/wall.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "replica-cpu-µs/record")
	b.ReportMetric(float64(server.Microseconds())/n, "server-cpu-µs/record")
}

// drainOnce ships the whole local trail into a fresh database and returns
// the wall time, this process's CPU and the server's CPU.
func drainOnce(b *testing.B, local Local, pg *pgtest.Server) (time.Duration, time.Duration, time.Duration) {
	b.StopTimer()
	remote := openRemote(b, pg.URL(pg.CreateDatabase(b)))
	s, err := New(Options{Instance: "bench", Local: local, Remote: remote})
	if err != nil {
		b.Fatal(err)
	}
	server0, _ := pg.CPU()
	cpu0, start := processCPU(), time.Now()
	b.StartTimer()
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	wall, cpu := time.Since(start), processCPU()-cpu0
	server1, _ := pg.CPU()
	if got := s.Shipped(); got != benchRecords {
		b.Fatalf("shipped %d records, want %d", got, benchRecords)
	}
	_ = remote.Close()
	b.StartTimer()
	return wall, cpu, server1 - server0
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

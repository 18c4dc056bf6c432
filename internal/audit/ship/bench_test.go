package ship

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// defaultBenchRecords is the backlog BenchmarkShipPostgres drains; below
// sqlite.IndexAt, so that it can stay in the journal.
const defaultBenchRecords = 16000

// benchRecords is PDP_SHIP_BENCH_RECORDS when set (a multiple of 500;
// only the trail case runs past sqlite.IndexAt), else defaultBenchRecords.
func benchRecords(b *testing.B) int {
	v := os.Getenv("PDP_SHIP_BENCH_RECORDS")
	if v == "" {
		return defaultBenchRecords
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n%500 != 0 {
		b.Fatalf("PDP_SHIP_BENCH_RECORDS=%q: want a positive multiple of 500", v)
	}
	return n
}

// BenchmarkShipPostgres drains a backlog of benchRecords records into a
// durable PostgreSQL (fsync on): from the SQLite trail (an old backlog, as
// after an outage) and from the journal (records just written, as when
// shipping keeps up). It reports records/s and the CPU per record of the
// replica (this process: reading the local trail, encoding, the client)
// and of the PostgreSQL server.
func BenchmarkShipPostgres(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	for _, tc := range []struct {
		name    string
		indexed bool
	}{{"trail", true}, {"journal", false}} {
		b.Run(tc.name, func(b *testing.B) { benchShip(b, pg, tc.indexed) })
	}
}

func benchShip(b *testing.B, pg *pgtest.Server, indexed bool) {
	records := benchRecords(b)
	if !indexed && records > defaultBenchRecords {
		b.Skipf("%d records do not stay in the journal", records)
	}
	local, _ := openLocalIndexing(b, time.Hour)
	ctx := context.Background()
	for i := 0; i < records; i += 500 {
		if err := local.Append(ctx, audittest.NewRecords(500)); err != nil {
			b.Fatal(err)
		}
	}
	if backlog := local.Backlog().Records; !indexed && backlog != records {
		b.Fatalf("%d records in the journal, want %d", backlog, records)
	}
	if !indexed {
		drain(b, pg, local, records)
		return
	}
	if err := local.Flush(ctx); err != nil { // into the SQLite trail
		b.Fatal(err)
	}
	drain(b, pg, local, records)
}

// drain ships local into a fresh database for each iteration.
func drain(b *testing.B, pg *pgtest.Server, local Local, records int) {
	var wall, cpu, server time.Duration
	for b.Loop() {
		w, c, s := drainOnce(b, local, pg, int64(records))
		wall, cpu, server = wall+w, cpu+c, server+s
	}
	n := float64(b.N * records)
	b.ReportMetric(n/wall.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "replica-cpu-µs/record")
	b.ReportMetric(float64(server.Microseconds())/n, "server-cpu-µs/record")
}

// drainOnce ships the whole local trail into a fresh database and returns
// the wall time, this process's CPU and the server's CPU.
func drainOnce(b *testing.B, local Local, pg *pgtest.Server, records int64) (time.Duration, time.Duration, time.Duration) {
	b.StopTimer()
	remote := openRemote(b, pg.URL(pg.CreateDatabase(b)))
	s, err := New(Options{Instance: "bench", Local: local, Remote: remote})
	if err != nil {
		b.Fatal(err)
	}
	server0, _ := pg.CPU()
	cpu0, start := processCPU(), time.Now()
	b.StartTimer()
	stop := run(s)
	if err := s.WaitShipped(context.Background(), records); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	stop()
	wall, cpu := time.Since(start), processCPU()-cpu0
	server1, _ := pg.CPU()
	if got := s.Shipped(); got != records {
		b.Fatalf("shipped %d records, want %d", got, records)
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

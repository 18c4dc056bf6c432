package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// BenchmarkShip ships batches of 512 sealed records into a PostgreSQL with
// fsync on, one batch per iteration, by each way of inserting, and reports
// records/s, the client's CPU per record (encoding and the driver) and the
// server's. Run with -benchtime=100x or so.
func BenchmarkShip(b *testing.B) {
	srv := pgtest.Start(b, pgtest.Options{Durable: true})
	warmUp(b, srv, 100_000)
	for _, way := range []struct {
		name string
		ins  inserter
	}{{"copy", copyInsert}, {"copy-via-temp", copyViaTemp}, {"unnest", unnestInsert}} {
		b.Run(way.name, func(b *testing.B) {
			s, err := Open(context.Background(), Options{URL: srv.URL(srv.CreateDatabase(b))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s.ins = way.ins
			benchShip(b, srv, s, 512)
		})
	}
}

// warmUp ships n records into a scratch database, so that the write-ahead
// log's segments exist and the first way measured does not pay for
// creating them.
func warmUp(b *testing.B, srv *pgtest.Server, n int) {
	s, err := Open(context.Background(), Options{URL: srv.URL(srv.CreateDatabase(b))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	entries := benchEntries(b, n)
	for i := 0; i < n; i += 1000 {
		if err := s.Ship(context.Background(), "warm", entries[i:min(i+1000, n)], nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchShip(b *testing.B, srv *pgtest.Server, s *Store, size int) {
	ctx := context.Background()
	if err := s.Ship(ctx, "warm", benchEntries(b, 1), nil); err != nil { // partitions, a connection
		b.Fatal(err)
	}
	template := benchEntries(b, size)
	entries := make([]audit.Entry, size)
	var wall, client, server time.Duration
	runtime.GC()
	b.ResetTimer()
	for i := range b.N {
		for j, e := range template { // fresh ids: what Ship costs does not depend on valid hashes
			e.Seq, e.DecisionID = int64(i*size+j+1), uuid.Must(uuid.NewV7()).String()
			entries[j] = e
		}
		s0 := serverCPU(b, srv) // reading /proc costs the client: outside its measure
		c0, t0 := cpuTime(b), time.Now()
		if err := s.Ship(ctx, "bench", entries, nil); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		client += cpuTime(b) - c0
		server += serverCPU(b, srv) - s0
	}
	n := float64(b.N * size)
	b.ReportMetric(n/wall.Seconds(), "records/s")
	b.ReportMetric(float64(client.Microseconds())/n, "client-cpu-µs/record")
	b.ReportMetric(float64(server.Microseconds())/n, "server-cpu-µs/record")
}

// sealBatch seals n records of the bench mix after chain, times a
// millisecond apart ending now.
func sealBatch(b testing.TB, chain audit.Chain, n int) ([]audit.Entry, audit.Chain) {
	recs := audittest.NewRecords(n)
	now := time.Now()
	out := make([]audit.Entry, n)
	for i, r := range recs {
		r.Time = now.Add(time.Duration(i-n) * time.Millisecond)
		r.BundleDigest = strings.Repeat("ab", 32)
		var err error
		if out[i], chain, err = chain.Next(r); err != nil {
			b.Fatal(err)
		}
	}
	return out, chain
}

// benchEntries seals n records of the bench mix from the genesis.
func benchEntries(b testing.TB, n int) []audit.Entry {
	out, _ := sealBatch(b, audit.Chain{Hash: audit.GenesisHash}, n)
	return out
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func serverCPU(b *testing.B, srv *pgtest.Server) time.Duration {
	d, err := srv.CPU()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// unnestInsert sends each column as one array parameter: one statement,
// whatever the batch size. The measured alternative to copyInsert.
func unnestInsert(ctx context.Context, tx pgx.Tx, b *batch) (int64, error) {
	tag, err := tx.Exec(ctx, unnestSQL(), b.arrays()...)
	if err != nil {
		return 0, fmt.Errorf("insert decisions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// unnestSQL is INSERT INTO decisions (...) SELECT ... FROM unnest($1::text[], ...)
// ON CONFLICT DO NOTHING.
func unnestSQL() string {
	cols := shipColumns()
	names, params, values := make([]string, len(cols)), make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		params[i] = fmt.Sprintf("$%d::%s[]", i+1, c.wireType())
		values[i] = c.name
		if c.typ != c.wireType() {
			values[i] += "::" + c.typ
		}
	}
	list := strings.Join(names, ", ")
	return `INSERT INTO decisions (` + list + `) SELECT ` + strings.Join(values, ", ") +
		` FROM unnest(` + strings.Join(params, ", ") + `) AS u(` + list + `) ON CONFLICT DO NOTHING`
}

// TestMeasuredAlternativesStoreAlike keeps the measured alternatives
// honest: shipped twice, they store what Ship stores, once.
func TestMeasuredAlternativesStoreAlike(t *testing.T) {
	for name, way := range map[string]inserter{"copy-via-temp": copyViaTemp, "unnest": unnestInsert} {
		t.Run(name, func(t *testing.T) { testInserter(t, way) })
	}
}

func testInserter(t *testing.T, way inserter) {
	s, err := Open(context.Background(), Options{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.ins = way
	entries := benchEntries(t, 100)
	for range 2 {
		if err := s.Ship(context.Background(), "c", entries, nil); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Trail("c").Verify(context.Background(), audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 100 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// BenchmarkEncodeBatch is the client's part of Ship without the driver:
// encoding 512 entries into columns.
func BenchmarkEncodeBatch(b *testing.B) {
	entries := benchEntries(b, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := newBatch("bench", entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*512), "µs/record")
}

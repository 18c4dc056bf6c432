package app_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/pdp"
)

// hitCallers is the number of concurrent callers, as make bench uses.
const hitCallers = 16

// hitRounds is how many times the benchmark alternates between the servers.
const hitRounds = 10

// BenchmarkCheckHitPath is what a cache hit costs beyond gRPC itself: the
// same client calls, one after the other, a gRPC server whose Check returns
// a fixed response (noop) and the PDP in-process with every decision
// answered from the cache and recorded by a recorder that keeps nothing
// (the audit trail's cost is measured apart, in internal/audit). It reports
// the process CPU per call of each (client included, so the ratio is
// diluted by the client's share), their ratio and their difference: the
// CPU the PDP adds to a hit outside the audit trail.
// Run: go test ./internal/app -run '^$' -bench CheckHitPath -benchtime 20000x -count 3
func BenchmarkCheckHitPath(b *testing.B) {
	noop := startNoop(b)
	r := launch{opts: []app.Option{app.WithRecorder(discardRecords{})}}.start(b)
	defer r.stop(b)
	reqs := hotRequests(b, 64)
	callAll(b, r.client, reqs, len(reqs)) // fill the cache
	callAll(b, noop, reqs, len(reqs))
	b.ResetTimer()
	var noopCPU, hitCPU float64
	for range hitRounds { // alternating, so that the machine's noise hits both alike
		noopCPU += callAll(b, noop, reqs, b.N/hitRounds) / hitRounds
		hitCPU += callAll(b, r.client, reqs, b.N/hitRounds) / hitRounds
	}
	b.ReportMetric(noopCPU, "noop-cpu-us/op")
	b.ReportMetric(hitCPU, "hit-cpu-us/op")
	b.ReportMetric(hitCPU-noopCPU, "added-cpu-us/op")
	b.ReportMetric(hitCPU/noopCPU, "x-noop")
}

// discardRecords is an audit recorder that keeps nothing.
type discardRecords struct{}

func (discardRecords) Write(context.Context, []pdp.Record) error { return nil }

// callAll makes n Checks over reqs from hitCallers goroutines and returns
// the process CPU (user and system) per call in microseconds.
func callAll(b *testing.B, c pdpv1.AuthorizationServiceClient, reqs []*pdpv1.CheckRequest, n int) float64 {
	b.Helper()
	var wg sync.WaitGroup
	start := processCPU(b)
	for g := range hitCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += hitCallers {
				if _, err := c.Check(context.Background(), reqs[i%len(reqs)]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64((processCPU(b) - start).Microseconds()) / float64(max(n, 1))
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hotRequests are n distinct requests shaped like make bench's: roles,
// subject and resource attributes, environment time and network.
func hotRequests(b *testing.B, n int) []*pdpv1.CheckRequest {
	b.Helper()
	reqs := make([]*pdpv1.CheckRequest, n)
	for i := range reqs {
		structs := make([]*structpb.Struct, 3)
		for j, m := range []map[string]any{
			{"department": "eng", "clearance": float64(i % 4)},
			{"owner": fmt.Sprintf("u%d", i/7), "department": "eng", "sensitivity": float64(i % 3)},
			{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		} {
			s, err := structpb.NewStruct(m)
			if err != nil {
				b.Fatal(err)
			}
			structs[j] = s
		}
		reqs[i] = &pdpv1.CheckRequest{
			Subject:     &pdpv1.Subject{Type: "user", Id: fmt.Sprintf("u%d", i), Roles: []string{"viewer"}, Attributes: structs[0]},
			Resource:    &pdpv1.Resource{Type: "document", Id: fmt.Sprintf("r%d", i), Attributes: structs[1]},
			Action:      &pdpv1.Action{Name: "read", Attributes: &structpb.Struct{}},
			Environment: structs[2],
		}
	}
	return reqs
}

// noopService answers every Check with the same response.
type noopService struct {
	pdpv1.UnimplementedAuthorizationServiceServer
}

func (noopService) Check(context.Context, *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	return &pdpv1.CheckResponse{Allow: true, Reasons: []string{"role:viewer grants document:read"},
		DecisionId: "019ac9d2-0000-7000-8000-000000000000", BundleRevision: "example-1"}, nil
}

// startNoop serves noopService on a free loopback port and returns a client.
func startNoop(b *testing.B) pdpv1.AuthorizationServiceClient {
	b.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	pdpv1.RegisterAuthorizationServiceServer(srv, noopService{})
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return pdpv1.NewAuthorizationServiceClient(conn)
}

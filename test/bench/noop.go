package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// noopService answers every Check with the same response without looking at
// the request. Served from a child process of the harness (serveNoop), it
// measures what the machine can do with this API at all: the client path
// (the same grpcCaller as the check-* scenarios, proto encoding, HTTP/2 over
// loopback TCP) plus the server's decoding and encoding, sharing the same two
// cores with the load generator. Everything a check-* scenario adds on top
// of it is the PDP's own cost.
type noopService struct {
	pdpv1.UnimplementedAuthorizationServiceServer
	resp *pdpv1.CheckResponse
}

var _ pdpv1.AuthorizationServiceServer = (*noopService)(nil)

func (s *noopService) Check(context.Context, *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	return s.resp, nil
}

// serveNoop serves noopService on addr until SIGTERM or SIGINT.
func serveNoop(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := grpc.NewServer()
	pdpv1.RegisterAuthorizationServiceServer(srv, &noopService{resp: &pdpv1.CheckResponse{
		Allow: true, Reasons: []string{"role:viewer grants document:read"},
		DecisionId: "019ac9d2-0000-7000-8000-000000000000", BundleRevision: "example-1",
	}})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.GracefulStop()
	}()
	return srv.Serve(lis)
}

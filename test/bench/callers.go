package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// grpcCaller calls AuthorizationService.Check over one client connection,
// as an enforcement point does. noop and every check-* scenario use it, so
// they share the client path.
type grpcCaller struct {
	conn        *grpc.ClientConn
	client      pdpv1.AuthorizationServiceClient
	calls, hits atomic.Int64 // answered calls, and those with cache_hit set
}

var _ caller = (*grpcCaller)(nil)

func newGRPCCaller(addr string) (*grpcCaller, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &grpcCaller{conn: conn, client: pdpv1.NewAuthorizationServiceClient(conn)}, nil
}

func (g *grpcCaller) call(ctx context.Context, in *input) error {
	resp, err := g.client.Check(ctx, in.check)
	if err != nil {
		return err
	}
	if resp.GetDecisionId() == "" {
		return fmt.Errorf("response without decision_id")
	}
	g.calls.Add(1)
	if resp.GetCacheHit() {
		g.hits.Add(1)
	}
	return nil
}

// hitShare is the share of answers that came from the decision cache.
func (g *grpcCaller) hitShare() float64 {
	if n := g.calls.Load(); n > 0 {
		return float64(g.hits.Load()) / float64(n)
	}
	return 0
}

func (g *grpcCaller) close() { _ = g.conn.Close() }

// restCaller posts the input to OPA's data API over keep-alive connections
// (one per concurrent caller at most).
type restCaller struct {
	client *http.Client
	url    string
}

var _ caller = (*restCaller)(nil)

func newRESTCaller(url string, concurrency int) *restCaller {
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, DisableCompression: true}
	return &restCaller{client: &http.Client{Transport: tr}, url: url}
}

// resultKey is how every defined answer of OPA's data API starts; an
// undefined decision is "{}" and counts as an error.
var resultKey = []byte(`"result"`)

func (r *restCaller) call(ctx context.Context, in *input) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(in.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read OPA answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, resultKey) {
		return fmt.Errorf("OPA answered %d: %.200s", resp.StatusCode, body)
	}
	return nil
}

func (r *restCaller) close() { r.client.CloseIdleConnections() }

package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
)

// auditorsOnly lets only the caller "auditor" use the AuditService; with no
// TLS every caller here is anonymous (""), so allowAll decides.
type auditorsOnly struct{ allowAll bool }

func (a auditorsOnly) Authorize(_ context.Context, method, _ string, _ bool) error {
	if !a.allowAll && len(method) > 21 && method[:21] == "/pdp.v1.AuditService/" {
		return pdp.Errorf(pdp.CodePermissionDenied, "not an auditor")
	}
	return nil
}

// noLeaks checks, after every cleanup of t, that no goroutine started by
// the test is left.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

type trail struct{ *sqlite.Store }

func (t trail) Verify(ctx context.Context) (audit.Report, error) {
	return audit.Verify(ctx, t.Store, audit.VerifyOptions{})
}

// auditClient serves the AuditService over bufconn on a store holding n
// records and returns a client and the store.
func auditClient(t *testing.T, n int, authz server.Authorizer) (pdpv1.AuditServiceClient, *sqlite.Store) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Append(context.Background(), audittest.NewRecords(n)); err != nil {
		t.Fatal(err)
	}
	g := server.NewGRPC(server.GRPCOptions{Authorizer: authz, Logger: slog.New(slog.DiscardHandler)})
	server.RegisterAudit(g.Server, server.AuditOptions{Trail: trail{store}, Poll: 10 * time.Millisecond})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		store.Close()
	})
	return pdpv1.NewAuditServiceClient(conn), store
}

func TestAuditServiceQueryAndGet(t *testing.T) {
	noLeaks(t)
	c, _ := auditClient(t, 25, auditorsOnly{allowAll: true})
	ctx := context.Background()
	var ids []string
	token := ""
	for {
		resp, err := c.QueryDecisions(ctx, &pdpv1.QueryDecisionsRequest{PageSize: 10, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRecords() {
			ids = append(ids, r.GetDecisionId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(ids) != 25 {
		t.Fatalf("paged %d records, want 25", len(ids))
	}
	got, err := c.GetDecision(ctx, &pdpv1.GetDecisionRequest{DecisionId: ids[3]})
	if err != nil || got.GetRecord().GetDecisionId() != ids[3] || got.GetRecord().GetHash() == "" {
		t.Fatalf("GetDecision = %v, %v", got, err)
	}
	v, err := c.VerifyTrail(ctx, &pdpv1.VerifyTrailRequest{})
	if err != nil || !v.GetOk() || v.GetRecords() != 25 {
		t.Fatalf("VerifyTrail = %v, %v", v, err)
	}
}

func TestAuditServiceErrors(t *testing.T) {
	noLeaks(t)
	open, _ := auditClient(t, 1, auditorsOnly{allowAll: true})
	closed, _ := auditClient(t, 1, auditorsOnly{})
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"not an auditor", func() error {
			_, err := closed.QueryDecisions(ctx, &pdpv1.QueryDecisionsRequest{})
			return err
		}, codes.PermissionDenied},
		{"not an auditor tails", func() error {
			s, err := closed.TailDecisions(ctx, &pdpv1.TailDecisionsRequest{})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		}, codes.PermissionDenied},
		{"bad token", func() error {
			_, err := open.QueryDecisions(ctx, &pdpv1.QueryDecisionsRequest{PageToken: "%%%"})
			return err
		}, codes.InvalidArgument},
		{"negative page size", func() error {
			_, err := open.QueryDecisions(ctx, &pdpv1.QueryDecisionsRequest{PageSize: -1})
			return err
		}, codes.InvalidArgument},
		{"unknown decision", func() error {
			_, err := open.GetDecision(ctx, &pdpv1.GetDecisionRequest{DecisionId: "nope"})
			return err
		}, codes.NotFound},
		{"no decision id", func() error {
			_, err := open.GetDecision(ctx, &pdpv1.GetDecisionRequest{})
			return err
		}, codes.InvalidArgument},
	}
	for name, bound := range map[string]*timestamppb.Timestamp{
		"since after year 9999": {Seconds: 1 << 62},
		"since with 2e9 nanos":  {Seconds: 1, Nanos: 2e9},
		"since at year 1":       timestamppb.New(time.Time{}),
	} {
		cases = append(cases, struct {
			name string
			call func() error
			want codes.Code
		}{name, func() error {
			_, err := open.QueryDecisions(ctx, &pdpv1.QueryDecisionsRequest{Since: bound})
			return err
		}, codes.InvalidArgument})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); status.Code(err) != tc.want {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAuditServiceTail(t *testing.T) {
	noLeaks(t)
	c, store := auditClient(t, 3, auditorsOnly{allowAll: true})
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.TailDecisions(ctx, &pdpv1.TailDecisionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the tail take its starting point
	fresh := audittest.NewRecords(4)
	if err := store.Append(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	for i, want := range fresh {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if r := resp.GetRecord(); r.GetDecisionId() != want.DecisionID || r.GetSeq() != int64(4+i) {
			t.Fatalf("record %d = seq %d %s, want seq %d %s", i, r.GetSeq(), r.GetDecisionId(), 4+i, want.DecisionID)
		}
	}
	cancel()
	if _, err := stream.Recv(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Recv after cancel: %v, want an error", err)
	}
}

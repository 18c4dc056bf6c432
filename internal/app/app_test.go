package app_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/config"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type running struct {
	app    *app.App
	client pdpv1.AuthorizationServiceClient
	cancel context.CancelFunc
	done   chan error
	db     string // the audit database path
}

// launch options: a config mutation, the client's TLS (nil: plaintext) and
// options of the app itself.
type launch struct {
	mutate func(*config.Config)
	tls    *tls.Config
	opts   []app.Option
}

// start builds the PDP in-process on free ports over the example bundle and
// waits until it is ready.
func start(tb testing.TB) *running { return launch{}.start(tb) }

// startWith is start with mutate applied to the configuration and the
// client dialling over tlsCfg (nil: plaintext).
func startWith(tb testing.TB, mutate func(*config.Config), tlsCfg *tls.Config) *running {
	return launch{mutate: mutate, tls: tlsCfg}.start(tb)
}

func (l launch) start(tb testing.TB) *running {
	tb.Helper()
	cfg := l.config(tb)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler), l.opts...)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	r := &running{app: a, cancel: cancel, done: make(chan error, 1), db: cfg.Audit.DB}
	go func() { r.done <- a.Run(ctx) }()
	creds, scheme := insecure.NewCredentials(), "http://"
	if l.tls != nil {
		creds, scheme = credentials.NewTLS(l.tls), "https://"
	}
	waitReady(tb, &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: l.tls}}, scheme+a.HTTPAddr()+"/readyz")
	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	r.client = pdpv1.NewAuthorizationServiceClient(conn)
	return r
}

func (l launch) config(tb testing.TB) config.Config {
	tb.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	cfg.Bundle.Sources = []string{filepath.Join("..", "..", "bundles", "example")}
	if l.mutate != nil {
		l.mutate(&cfg)
	}
	cfg = cfg.Complete()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func (r *running) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		tb.Fatalf("Run: %v", err)
	}
}

func waitReady(tb testing.TB, client *http.Client, url string) {
	tb.Helper()
	defer client.CloseIdleConnections()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	tb.Fatalf("%s not ready after 30s", url)
}

func request() *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{
		Subject:  &pdpv1.Subject{Type: "user", Id: "alice", Roles: []string{"viewer"}},
		Resource: &pdpv1.Resource{Type: "document", Id: "d1"},
		Action:   &pdpv1.Action{Name: "read"},
	}
}

// TestRunAndShutdown serves a Check, then shuts down; goleak (TestMain)
// fails the package if any goroutine is left behind.
func TestRunAndShutdown(t *testing.T) {
	r := start(t)
	resp, err := r.client.Check(context.Background(), request())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if resp.GetDecisionId() == "" || resp.GetBundleRevision() == "" {
		t.Fatalf("incomplete response %v", resp)
	}
	r.stop(t)
}

// BenchmarkCheck measures one Check through the in-process server over
// loopback TCP: gRPC, evaluation and the audited write (group commit).
func BenchmarkCheck(b *testing.B) {
	r := start(b)
	defer r.stop(b)
	req := request()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.client.Check(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestNewFailsCleanlyOnAddressInUse: a step that fails after others opened
// the audit store returns the error (no panic) and releases the store, so
// that the same data directory opens again.
func TestNewFailsCleanlyOnAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	l := launch{mutate: func(c *config.Config) { c.Server.GRPCAddr = busy.Addr().String() }}
	cfg := l.config(t)
	if a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil || a != nil {
		t.Fatalf("New with the gRPC address in use = %v, %v; want nil and an error", a, err)
	} else if !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("error %q does not name the address", err)
	}
	cfg.Server.GRPCAddr = "127.0.0.1:0"
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New on the same data directory afterwards: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/config"
)

// lockedBuffer is a log destination shared by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines of the log carry each message.
func (b *lockedBuffer) count(t *testing.T) map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m struct{ Msg string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		n[m.Msg]++
	}
	return n
}

// TestAuditOutageLogsOncePerInterval: with the audit store gone, every Check
// is refused (Unavailable), and each failure is logged once, not once per
// request: the decision's, the writer's and the edge's line alike.
func TestAuditOutageLogsOncePerInterval(t *testing.T) {
	var logs lockedBuffer
	a, stop := runForTest(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	defer stop()
	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pdpv1.NewAuthorizationServiceClient(conn)
	// The outage: the store closed and its directory gone (a file in its
	// place), so that nothing it writes can land anywhere.
	if err := a.store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(a.cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.cfg.DataDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	const refusals = 40
	for i := range refusals {
		req := &pdpv1.CheckRequest{Subject: &pdpv1.Subject{Type: "user", Id: "u" + strconv.Itoa(i)},
			Resource: &pdpv1.Resource{Type: "document", Id: "d1"}, Action: &pdpv1.Action{Name: "read"}}
		if _, err := client.Check(t.Context(), req); status.Code(err) != codes.Unavailable {
			t.Fatalf("Check %d: %v, want Unavailable", i, err)
		}
	}
	n := logs.count(t)
	for _, msg := range []string{"audit write failed; decisions withheld", "audit commit failed", "unavailable"} {
		if n[msg] != 1 {
			t.Errorf("%d lines %q for %d refused Checks, want 1", n[msg], msg, refusals)
		}
	}
}

// runForTest builds and runs the PDP on free ports over the example bundle,
// logging to log, and waits until it is ready; stop ends it.
func runForTest(t *testing.T, log *slog.Logger) (*App, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Bundle.Sources = []string{filepath.Join("..", "..", "bundles", "example")}
	cfg = cfg.Complete()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, log, WithoutTelemetry())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stop := func() { cancel(); <-done }
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + a.HTTPAddr() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a, stop
			}
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatal("not ready after 30s")
		}
	}
}

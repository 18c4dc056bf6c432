package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/config"
)

// lockedBuffer is a log sink safe for concurrent writes and reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// readyzWithRedis serves the example bundle with --redis-url redisURL,
// waits until /readyz is 200, and returns its document and the log.
func readyzWithRedis(t *testing.T, redisURL string) (map[string]any, string) {
	t.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.Cache.RedisURL = t.TempDir(), redisURL
	cfg.Bundle.Sources = []string{filepath.Join("..", "..", "bundles", "example")}
	cfg = cfg.Complete()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewJSONHandler(&log, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	client := &http.Client{}
	waitReady(t, client, "http://"+a.HTTPAddr()+"/readyz")
	resp, err := client.Get("http://" + a.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("/readyz %s: %v", body, err)
	}
	return doc, log.String()
}

// TestReadyzCacheStatus: a Redis that cannot be reached shows in /readyz as
// cache: degraded (the PDP stays ready: it decides without the shared
// tier) and in one log line at start; one that answers is ok.
func TestReadyzCacheStatus(t *testing.T) {
	const logLine = "redis cache cannot be reached"
	doc, log := readyzWithRedis(t, "redis://"+redistest.ClosedAddr(t)+"/0")
	if doc["cache"] != "degraded" || doc["cache_error"] == nil || doc["ready"] != true {
		t.Errorf("down: /readyz = %v, want ready with cache degraded", doc)
	}
	if n := strings.Count(log, logLine); n != 1 {
		t.Errorf("down: %d log lines saying %q, want 1:\n%s", n, logLine, log)
	}
	srv := redistest.Start(t)
	doc, log = readyzWithRedis(t, srv.URL())
	if doc["cache"] != "ok" || doc["cache_error"] != nil || strings.Contains(log, logLine) {
		t.Errorf("up: /readyz = %v, log:\n%s", doc, log)
	}
}

// Package apptest runs a whole PDP in a test's process, as tests of the
// command line and of the web console need one: started on the test's
// configuration, ready before they go on, stopped when they end.
package apptest

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/config"
)

// readyWait bounds how long Run waits for /readyz.
const readyWait = 30 * time.Second

// Run validates cfg, runs its PDP until t ends (failing t if Run fails)
// and returns it once /readyz answers 200 through client (nil: plain HTTP
// with http.DefaultClient's defaults).
func Run(t testing.TB, cfg config.Config, client *http.Client) *app.App {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitReady(t, client, a.HTTPAddr())
	return a
}

func waitReady(t testing.TB, c *http.Client, addr string) {
	t.Helper()
	url := "http://" + addr + "/readyz"
	if c == nil {
		c = &http.Client{Timeout: time.Second}
	} else if tr, ok := c.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		url = "https://" + addr + "/readyz"
	}
	defer c.CloseIdleConnections()
	for deadline := time.Now().Add(readyWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s not ready after %s", url, readyWait)
}

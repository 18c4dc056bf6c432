package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/config"
)

const evaluation = `{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "read"}}`

func (r *running) postHTTP(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Post("http://"+r.app.HTTPAddr()+path, "application/json", strings.NewReader(evaluation))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHTTPSharesTheRateLimit: AuthZEN requests draw on the caller's bucket
// of the gRPC port; the discovery document is never limited.
func TestHTTPSharesTheRateLimit(t *testing.T) {
	r := startWith(t, func(c *config.Config) { c.Server.RateLimit, c.Server.RateBurst = 0.01, 2 }, nil)
	defer r.stop(t)
	if code := r.postHTTP(t, "/access/v1/evaluation"); code != http.StatusOK {
		t.Fatalf("first evaluation: %d", code)
	}
	if _, err := r.client.Check(context.Background(), request()); err != nil {
		t.Fatalf("second call (gRPC): %v", err)
	}
	if code := r.postHTTP(t, "/access/v1/evaluation"); code != http.StatusTooManyRequests {
		t.Fatalf("third call: %d, want 429", code)
	}
	if _, err := r.client.Check(context.Background(), request()); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("fourth call (gRPC): %v, want ResourceExhausted", err)
	}
	resp, err := http.Get("http://" + r.app.HTTPAddr() + "/.well-known/authzen-configuration")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestHTTPObeysTheSystemPolicy: a bundle's data.system.authz that refuses
// AuthZEN searches makes them 403, while evaluations still pass.
func TestHTTPObeysTheSystemPolicy(t *testing.T) {
	sys := filepath.Join(t.TempDir(), "system")
	write := func(name, body string) {
		if err := os.MkdirAll(sys, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sys, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".manifest", `{"revision": "sys-1", "roots": ["system"]}`)
	write("authz.rego", "package system.authz\n\nallow if not startswith(input.method, \"/access/v1/search/\")\n")
	r := startWith(t, func(c *config.Config) { c.Bundle.Sources = append(c.Bundle.Sources, sys) }, nil)
	defer r.stop(t)
	if code := r.postHTTP(t, "/access/v1/evaluation"); code != http.StatusOK {
		t.Fatalf("evaluation: %d, want 200", code)
	}
	if code := r.postHTTP(t, "/access/v1/search/resource"); code != http.StatusForbidden {
		t.Fatalf("search: %d, want 403", code)
	}
}

package app_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/authn/authntest"
	"github.com/pdp-project/pdp/internal/config"
)

// secure holds the certificates and token keys of one test.
type secure struct {
	ca     *authntest.CA
	keys   *authntest.Keys
	client tls.Certificate
	dir    string
}

func newSecure(tb testing.TB) *secure {
	ca := authntest.NewCA(tb, "test-ca")
	return &secure{ca: ca, keys: authntest.NewKeys(tb), dir: tb.TempDir(),
		client: ca.Issue(tb, authntest.Identity{URI: "spiffe://test/svc"}).TLS}
}

// configure turns on mTLS (when mtls) and token verification in cfg.
func (s *secure) configure(tb testing.TB, cfg *config.Config, mtls bool) {
	cfg.JWT.JWKSFile = authntest.WriteFile(tb, s.dir, "jwks.json", s.keys.JWKS)
	cfg.JWT.Issuer, cfg.JWT.Audience = "https://idp.test", "pdp"
	if !mtls {
		return
	}
	srv := s.ca.Issue(tb, authntest.Identity{CN: "pdp", Server: true})
	cfg.TLS.CertFile = authntest.WriteFile(tb, s.dir, "server.crt", srv.CertPEM)
	cfg.TLS.KeyFile = authntest.WriteFile(tb, s.dir, "server.key", srv.KeyPEM)
	cfg.TLS.ClientCAFile = authntest.WriteFile(tb, s.dir, "ca.crt", s.ca.PEM)
}

func (s *secure) clientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.ca.Pool(), ServerName: "localhost", Certificates: []tls.Certificate{s.client}}
}

func (s *secure) token(tb testing.TB) string {
	return s.keys.Sign(tb, "RS256", authntest.RSAKid, map[string]any{
		"sub": "alice", "iss": "https://idp.test", "aud": "pdp", "exp": time.Now().Add(time.Hour).Unix(),
	}, nil)
}

// TestRateLimit: over --rate-burst calls in a burst, a caller gets
// ResourceExhausted.
func TestRateLimit(t *testing.T) {
	r := startWith(t, func(c *config.Config) { c.Server.RateLimit, c.Server.RateBurst = 0.01, 2 }, nil)
	defer r.stop(t)
	for i := range 3 {
		_, err := r.client.Check(context.Background(), request())
		if want := map[bool]codes.Code{true: codes.OK, false: codes.ResourceExhausted}[i < 2]; status.Code(err) != want {
			t.Fatalf("call %d: %v, want %v", i+1, err, want)
		}
	}
}

// TestCheckOverMTLSWithToken: the whole secure path in-process: mTLS on
// gRPC and HTTP, a verified token that names the subject.
func TestCheckOverMTLSWithToken(t *testing.T) {
	s := newSecure(t)
	r := startWith(t, func(c *config.Config) { s.configure(t, c, true) }, s.clientTLS())
	defer r.stop(t)
	req := request()
	req.Subject.Id, req.Subject.Token = "", s.token(t)
	resp, err := r.client.Check(context.Background(), req)
	if err != nil || !resp.GetAllow() {
		t.Fatalf("Check = %v, %v; want allow", resp, err)
	}
}

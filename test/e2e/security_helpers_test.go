package e2e

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authn/authntest"
)

// tlsPDP is a `pdp serve` with mTLS on both ports, its CA and token keys.
type tlsPDP struct {
	*pdpProc
	ca   *authntest.CA
	keys *authntest.Keys
}

// startTLSPDP serves the example bundle plus a system bundle (revoked jti)
// with mTLS, a JWKS, an issuer and an audience, and --auditors/--policy-authors.
func startTLSPDP(t *testing.T, args ...string) *tlsPDP {
	t.Helper()
	dir := t.TempDir()
	s := &tlsPDP{ca: authntest.NewCA(t, "e2e-ca"), keys: authntest.NewKeys(t)}
	srv := s.ca.Issue(t, authntest.Identity{CN: "pdp", Server: true})
	sys := filepath.Join(dir, "system")
	writeFile(t, filepath.Join(sys, ".manifest"), `{"revision": "sys-1", "roots": ["system"]}`)
	writeFile(t, filepath.Join(sys, "data.json"), `{"system": {"revoked_jti": ["revoked-1"]}}`)
	all := append([]string{
		"--tls-cert", authntest.WriteFile(t, dir, "server.crt", srv.CertPEM),
		"--tls-key", authntest.WriteFile(t, dir, "server.key", srv.KeyPEM),
		"--tls-client-ca", authntest.WriteFile(t, dir, "ca.crt", s.ca.PEM),
		"--jwks-file", authntest.WriteFile(t, dir, "jwks.json", s.keys.JWKS),
		"--jwt-issuer", "https://idp.e2e", "--jwt-audience", "pdp",
		"--bundle", "bundles/example", "--bundle", sys,
	}, args...)
	s.pdpProc = startProc(t, all...)
	s.waitTLS(t)
	return s
}

// identity issues a client certificate for id and returns its TLS config.
func (s *tlsPDP) identity(t *testing.T, id authntest.Identity) *tls.Config {
	t.Helper()
	cfg := &tls.Config{RootCAs: s.ca.Pool(), ServerName: "localhost"}
	if id != (authntest.Identity{}) {
		cfg.Certificates = []tls.Certificate{s.ca.Issue(t, id).TLS}
	}
	return cfg
}

// conn dials the gRPC port with cfg.
func (s *tlsPDP) conn(t *testing.T, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (s *tlsPDP) client(t *testing.T, id authntest.Identity) pdpv1.AuthorizationServiceClient {
	return pdpv1.NewAuthorizationServiceClient(s.conn(t, s.identity(t, id)))
}

// httpsGet fetches path from the HTTP port over TLS with cfg.
func (s *tlsPDP) httpsGet(cfg *tls.Config, path string) (int, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + s.httpAddr + path)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *tlsPDP) waitTLS(t *testing.T) {
	t.Helper()
	cfg := s.identity(t, authntest.Identity{CN: "probe"})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if code, _ := s.httpsGet(cfg, "/readyz"); code == http.StatusOK {
			return
		}
		select {
		case err := <-s.exited:
			t.Fatalf("pdp exited (%v) before /readyz was 200:\n%s", err, s.log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("/readyz not 200 after 60s")
}

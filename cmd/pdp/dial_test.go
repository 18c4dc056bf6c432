package main

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/app/apptest"
	"github.com/pdp-project/pdp/internal/authn/authntest"
	"github.com/pdp-project/pdp/internal/config"
)

// tlsServer is an in-process PDP serving mTLS on free loopback ports, with
// the files a client needs: the CA and a certificate of an auditor.
type tlsServer struct {
	addr, ca, cert, key string
	other               []string // --tls-cert and --tls-key of an unlisted caller
}

// auditorID is the caller id of the client certificate (its URI SAN).
const auditorID = "spiffe://test/auditor"

// startTLSServer serves the example bundle with mTLS; callers with
// auditorID may use the audit service. mutate, when set, changes the
// configuration before the server starts.
func startTLSServer(t *testing.T, mutate func(*config.Config)) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	ca := authntest.NewCA(t, "cli-ca")
	srv := ca.Issue(t, authntest.Identity{CN: "pdp", Server: true})
	client := ca.Issue(t, authntest.Identity{URI: auditorID})
	other := ca.Issue(t, authntest.Identity{URI: "spiffe://test/other"})
	s := &tlsServer{ca: authntest.WriteFile(t, dir, "ca.crt", ca.PEM),
		cert: authntest.WriteFile(t, dir, "client.crt", client.CertPEM), key: authntest.WriteFile(t, dir, "client.key", client.KeyPEM),
		other: []string{"--tls-cert", authntest.WriteFile(t, dir, "other.crt", other.CertPEM), "--tls-key", authntest.WriteFile(t, dir, "other.key", other.KeyPEM)}}
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.Bundle.Sources = filepath.Join(dir, "data"), []string{exampleBundle}
	cfg.TLS.CertFile = authntest.WriteFile(t, dir, "server.crt", srv.CertPEM)
	cfg.TLS.KeyFile = authntest.WriteFile(t, dir, "server.key", srv.KeyPEM)
	cfg.TLS.ClientCAFile = s.ca
	cfg.Authz.Auditors = []string{auditorID}
	if mutate != nil {
		mutate(&cfg)
	}
	s.addr = runApp(t, cfg.Complete(), &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}})
	return s
}

// runApp runs the PDP of cfg until the test ends and returns its gRPC
// address once /readyz answers 200 (over TLS with clientTLS when set).
func runApp(t *testing.T, cfg config.Config, clientTLS *tls.Config) string {
	t.Helper()
	var c *http.Client
	if clientTLS != nil {
		c = &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: clientTLS}}
	}
	return apptest.Run(t, cfg, c).GRPCAddr()
}

// tlsArgs are the client TLS flags of the auditor.
func (s *tlsServer) tlsArgs() []string {
	return []string{"--addr", s.addr, "--tls-ca", s.ca, "--tls-cert", s.cert, "--tls-key", s.key}
}

// TestClientTLS: check, audit --addr and replay --addr reach a PDP that
// serves mTLS with --tls-ca, --tls-cert, --tls-key and --tls-server-name;
// without them, or with a wrong name, they cannot.
func TestClientTLS(t *testing.T) {
	s := startTLSServer(t, nil)
	request := `{"subject": {"id": "alice", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "read"}}`
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"check", request, append([]string{"check"}, s.tlsArgs()...), exitOK, `"allow":true`},
		{"check by server name", request, append([]string{"check", "--tls-server-name", "localhost"}, s.tlsArgs()...), exitOK, `"allow":true`},
		{"audit query", "", append([]string{"audit", "query", "--format", "json"}, s.tlsArgs()...), exitOK, `"subject":{"type":"","id":"alice"}`},
		{"audit verify", "", append([]string{"audit", "verify", "--allow-empty"}, s.tlsArgs()...), exitOK, "2 records"}, // no checkpoint yet
		{"replay", "", append([]string{"replay", "--bundle", exampleBundle}, s.tlsArgs()...), exitOK, "0 changed"},
		{"check plaintext", request, []string{"check", "--addr", s.addr}, exitFailure, ""},
		{"check without a client certificate", request, []string{"check", "--addr", s.addr, "--tls-ca", s.ca}, exitFailure, ""},
		{"check wrong server name", request, append([]string{"check", "--tls-server-name", "elsewhere.example"}, s.tlsArgs()...), exitFailure, ""},
		{"cert without key", request, []string{"check", "--addr", s.addr, "--tls-ca", s.ca, "--tls-cert", s.cert}, exitUsage, ""},
		{"garbage ca", request, []string{"check", "--addr", s.addr, "--tls-ca", garbagePEM}, exitUsage, ""},
		{"tls with audit-db", "", []string{"audit", "query", "--audit-db", "x.db", "--tls-ca", s.ca}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runWith(tt.stdin, nil, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d; stdout lacks %q?\n%s\nstderr:\n%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

// TestPermissionDeniedSaysHowToAllow: a caller the server refuses learns
// which server flag lets it in.
func TestPermissionDeniedSaysHowToAllow(t *testing.T) {
	s := startTLSServer(t, nil)
	caller := append([]string{"--addr", s.addr, "--tls-ca", s.ca}, s.other...)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"audit query", "", append([]string{"audit", "query"}, caller...), "--auditors"},
		{"audit verify", "", append([]string{"audit", "verify"}, caller...), "--auditors"},
		{"replay", "", append([]string{"replay", "--bundle", exampleBundle}, caller...), "--auditors"},
		{"check with explain", `{"subject": {"id": "a"}, "resource": {"type": "document"}, "action": {"name": "read"}, "explain": true}`,
			append([]string{"check"}, caller...), "--policy-authors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runWith(tt.stdin, nil, tt.args...)
			if code != exitFailure || !strings.Contains(errOut, "PermissionDenied") || !strings.Contains(errOut, "to allow it") ||
				!strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want 1 and a message naming %s:\n%s", code, tt.want, errOut)
			}
		})
	}
}

package authn_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
)

// handshake connects to a TLS server and returns the server certificate,
// or the error of either side.
func handshake(t *testing.T, srv *tls.Config, client *tls.Config) (*x509.Certificate, error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), client)
	if srvErr := <-done; err == nil && srvErr != nil {
		err = srvErr // with TLS 1.3 the server refuses a client certificate after the client is done
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

func writeLeaf(t *testing.T, dir string, leaf authntest.Leaf, stamp time.Time) authn.TLSFiles {
	f := authn.TLSFiles{
		Cert: authntest.WriteFile(t, dir, "server.crt", leaf.CertPEM),
		Key:  authntest.WriteFile(t, dir, "server.key", leaf.KeyPEM),
	}
	for _, p := range []string{f.Cert, f.Key} {
		if err := os.Chtimes(p, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestReloadOnChange: a new certificate on disk is served after the check
// interval; a broken one keeps the last good certificate.
func TestReloadOnChange(t *testing.T) {
	ca, dir := authntest.NewCA(t, "ca"), t.TempDir()
	first := ca.Issue(t, authntest.Identity{CN: "pdp-1", Server: true})
	files := writeLeaf(t, dir, first, time.Now().Add(-time.Hour))
	r, err := authn.NewReloader(files, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, client := r.ServerConfig(), &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	serial := func() string {
		cert, err := handshake(t, srv, client)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		return cert.SerialNumber.String()
	}
	if got := serial(); got != first.Serial.String() {
		t.Fatalf("serial %s, want first %s", got, first.Serial)
	}
	second := ca.Issue(t, authntest.Identity{CN: "pdp-2", Server: true})
	writeLeaf(t, dir, second, time.Now())
	time.Sleep(5 * time.Millisecond)
	if got := serial(); got != second.Serial.String() {
		t.Fatalf("after change: serial %s, want second %s", got, second.Serial)
	}
	authntest.WriteFile(t, dir, filepath.Base(files.Cert), []byte("garbage"))
	time.Sleep(5 * time.Millisecond)
	if got := serial(); got != second.Serial.String() {
		t.Fatalf("after a broken file: serial %s, want second %s kept", got, second.Serial)
	}
}

// TestClientCARequired: with a client CA, a client without a certificate
// or with one from another CA is refused; TLS below 1.2 is refused.
func TestClientCARequired(t *testing.T) {
	ca, dir := authntest.NewCA(t, "ca"), t.TempDir()
	files := writeLeaf(t, dir, ca.Issue(t, authntest.Identity{CN: "pdp", Server: true}), time.Now())
	files.ClientCA = authntest.WriteFile(t, dir, "ca.crt", ca.PEM)
	r, err := authn.NewReloader(files, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := authntest.NewCA(t, "other")
	good := ca.Issue(t, authntest.Identity{CN: "svc"})
	tests := []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"client certificate", &tls.Config{Certificates: []tls.Certificate{good.TLS}}, true},
		{"no client certificate", &tls.Config{}, false},
		{"certificate of another CA", &tls.Config{Certificates: []tls.Certificate{other.Issue(t, authntest.Identity{CN: "svc"}).TLS}}, false},
		{"TLS 1.1", &tls.Config{Certificates: []tls.Certificate{good.TLS}, MaxVersion: tls.VersionTLS11}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.client.RootCAs, tc.client.ServerName = ca.Pool(), "localhost"
			_, err := handshake(t, r.ServerConfig(), tc.client)
			if tc.ok != (err == nil) {
				t.Fatalf("handshake error = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

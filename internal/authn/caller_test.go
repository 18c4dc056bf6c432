package authn_test

import (
	"crypto/x509"
	"testing"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
)

func TestFromRemoteAddr(t *testing.T) {
	tests := map[string]string{"127.0.0.1:5000": authn.Local, "[::1]:80": authn.Local, "10.1.2.3:99": authn.Anonymous, "garbage": authn.Anonymous}
	for addr, want := range tests {
		if got := authn.FromRemoteAddr(addr); got != want {
			t.Errorf("FromRemoteAddr(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestFromCertificates: URI SAN, else DNS SAN, else CN.
func TestFromCertificates(t *testing.T) {
	ca := authntest.NewCA(t, "ca")
	tests := []struct {
		name string
		id   authntest.Identity
		want string
	}{
		{"spiffe", authntest.Identity{URI: "spiffe://example.org/ns/a/sa/svc", DNS: "svc.local", CN: "svc"}, "spiffe://example.org/ns/a/sa/svc"},
		{"dns", authntest.Identity{DNS: "svc.local", CN: "svc"}, "svc.local"},
		{"cn", authntest.Identity{CN: "svc"}, "svc"},
		{"a certificate named local is not the loopback caller", authntest.Identity{CN: "local"}, "cert:local"},
		{"nor by DNS SAN", authntest.Identity{DNS: "local"}, "cert:local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leaf := ca.Issue(t, tc.id)
			cert, err := x509.ParseCertificate(leaf.TLS.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			if got := authn.FromCertificates([][]*x509.Certificate{{cert, ca.Cert}}); got != tc.want {
				t.Fatalf("caller = %q, want %q", got, tc.want)
			}
		})
	}
	if got := authn.FromCertificates(nil); got != authn.Anonymous {
		t.Fatalf("no chain: caller = %q", got)
	}
}

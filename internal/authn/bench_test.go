package authn_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
)

// BenchmarkVerify is the cost of verifying one subject token, per algorithm:
// the added cost per Check of token verification.
func BenchmarkVerify(b *testing.B) {
	keys := authntest.NewKeys(b)
	v := verifier(b, keys, []byte("secret"))
	for _, tc := range []struct{ alg, kid string }{
		{"RS256", authntest.RSAKid}, {"ES256", authntest.ECKid}, {"EdDSA", authntest.EdKid}, {"HS256", ""},
	} {
		token := keys.Sign(b, tc.alg, tc.kid, claims(nil), []byte("secret"))
		b.Run(tc.alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTransport is one unary gRPC call over loopback TCP on an
// established connection, plaintext and mTLS side by side: the added cost
// per Check of mTLS (the handshake is paid once per connection).
func BenchmarkTransport(b *testing.B) {
	ca, dir := authntest.NewCA(b, "ca"), b.TempDir()
	srv := ca.Issue(b, authntest.Identity{CN: "pdp", Server: true})
	r, err := authn.NewReloader(authn.TLSFiles{
		Cert: authntest.WriteFile(b, dir, "s.crt", srv.CertPEM), Key: authntest.WriteFile(b, dir, "s.key", srv.KeyPEM),
		ClientCA: authntest.WriteFile(b, dir, "ca.crt", ca.PEM),
	}, time.Second, nil)
	if err != nil {
		b.Fatal(err)
	}
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost",
		Certificates: []tls.Certificate{ca.Issue(b, authntest.Identity{URI: "spiffe://b/svc"}).TLS}}
	for _, tc := range []struct {
		name      string
		srv, clnt credentials.TransportCredentials
	}{
		{"plaintext", nil, insecure.NewCredentials()},
		{"mtls", credentials.NewTLS(r.ServerConfig("h2")), credentials.NewTLS(client)},
	} {
		b.Run(tc.name, func(b *testing.B) { benchHealth(b, tc.srv, tc.clnt) })
	}
}

func benchHealth(b *testing.B, srvCreds, clientCreds credentials.TransportCredentials) {
	var opts []grpc.ServerOption
	if srvCreds != nil {
		opts = append(opts, grpc.Creds(srvCreds))
	}
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(lis)
	defer s.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(clientCreds))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := healthpb.NewHealthClient(conn)
	ctx := context.Background()
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

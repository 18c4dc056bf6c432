package app_test

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/pdp-project/pdp/internal/config"
)

// BenchmarkCheckSecurity measures Check through the in-process server over
// loopback TCP (parallel clients, audit group commit), side by side: plaintext, mTLS, a
// verified RS256 subject token, and both. The differences are the added
// cost per Check of mTLS (on an established connection) and of token
// verification. Run: go test ./internal/app -run '^$' -bench CheckSecurity -benchmem
func BenchmarkCheckSecurity(b *testing.B) {
	s := newSecure(b)
	for _, bc := range []struct {
		name        string
		mtls, token bool
	}{{"plaintext", false, false}, {"mtls", true, false}, {"token", false, true}, {"mtls+token", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var tlsCfg *tls.Config
			if bc.mtls {
				tlsCfg = s.clientTLS()
			}
			r := startWith(b, func(c *config.Config) { s.configure(b, c, bc.mtls) }, tlsCfg)
			defer r.stop(b)
			req := request()
			if bc.token {
				req.Subject.Id, req.Subject.Token = "", s.token(b)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.client.Check(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

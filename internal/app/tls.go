package app

import (
	"google.golang.org/grpc/credentials"

	"github.com/pdp-project/pdp/internal/authn"
)

// transportCredentials returns nil (plaintext) unless TLS is configured, in
// which case the HTTP server gets the same TLS configuration.
func (a *App) transportCredentials() (credentials.TransportCredentials, error) {
	if !a.cfg.TLSEnabled() {
		return nil, nil
	}
	tc, err := authn.ServerTLS(a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile, a.cfg.TLS.ClientCAFile)
	if err != nil {
		return nil, err
	}
	a.tls = tc
	return credentials.NewTLS(tc), nil
}

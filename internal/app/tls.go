package app

import (
	"google.golang.org/grpc/credentials"

	"github.com/pdp-project/pdp/internal/authn"
)

// transportCredentials returns nil (plaintext) unless TLS is configured, in
// which case the HTTP server gets the same certificate and client CA. Both
// reload the files when they change (authn.Reloader).
func (a *App) transportCredentials() (credentials.TransportCredentials, error) {
	if !a.cfg.TLSEnabled() {
		return nil, nil
	}
	files := authn.TLSFiles{Cert: a.cfg.TLS.CertFile, Key: a.cfg.TLS.KeyFile, ClientCA: a.cfg.TLS.ClientCAFile}
	r, err := authn.NewReloader(files, 0, a.log)
	if err != nil {
		return nil, err
	}
	a.tls = r.ServerConfig("http/1.1")
	return credentials.NewTLS(r.ServerConfig("h2")), nil
}

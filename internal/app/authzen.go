package app

import (
	"net/http"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/server/authzen"
	"github.com/pdp-project/pdp/internal/server/extauthz"
)

// interop registers Envoy's ext_authz service on the gRPC server and
// returns the AuthZEN handlers for the HTTP port; both decide through svc.
func (a *App) interop(svc *decision.Service) map[string]http.Handler {
	extauthz.New(svc, a.log).Register(a.grpc.Server)
	api := authzen.New(authzen.Options{
		Decider: svc, Logger: a.log, PublicURL: a.cfg.Server.PublicURL, Caller: httpCaller,
	})
	return api.Handlers()
}

// httpCaller names the caller of an HTTP request: the verified client
// certificate over TLS, else the plaintext rule (local on loopback).
func httpCaller(r *http.Request) string {
	if r.TLS != nil {
		return authn.FromCertificates(r.TLS.VerifiedChains)
	}
	return authzen.PlainCaller(r)
}

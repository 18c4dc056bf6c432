package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/server/authzen"
	"github.com/pdp-project/pdp/internal/server/extauthz"
)

// interop registers Envoy's ext_authz service on the gRPC server and
// returns the AuthZEN handlers for the HTTP port; both decide through svc.
func (a *App) interop(svc *decision.Service, guard httpGuard) map[string]http.Handler {
	extauthz.New(svc, a.reqLog).Register(a.grpc.Server)
	api := authzen.New(authzen.Options{
		Decider: svc, Logger: a.reqLog, PublicURL: a.cfg.Server.PublicURL, Caller: httpCaller,
		Guard: guard.admit, Reasons: guard.mayExplain, Planner: svc, Resources: a.resources,
	})
	return api.Handlers()
}

// httpGuard holds the HTTP port's decision endpoints to the gRPC port's
// rules: the same per-caller rate limit and the same system policy, asked
// with the request's path as the method (e.g. /access/v1/evaluation).
type httpGuard struct {
	authz   server.Authorizer
	limiter server.Limiter
	log     *slog.Logger
}

func (g httpGuard) admit(ctx context.Context, path, caller string) error {
	if g.limiter != nil && !g.limiter.Allow(caller) {
		g.log.Warn("rate limit exceeded", "caller", caller, "method", path)
		return pdp.Errorf(pdp.CodeResourceExhausted, "rate limit exceeded for caller %q", caller)
	}
	if err := g.authz.Authorize(ctx, path, caller, false); err != nil {
		g.log.Warn("call refused", "caller", caller, "method", path, "error", err)
		return err
	}
	return nil
}

// mayExplain reports whether caller may see the reasons of the decisions
// it asks for at path: the system policy asked as for an explanation on the
// gRPC port (explain true; --policy-authors by default). A refusal here is
// not logged: the decisions are still answered, without reasons.
func (g httpGuard) mayExplain(ctx context.Context, path, caller string) bool {
	return g.authz.Authorize(ctx, path, caller, true) == nil
}

// httpCaller names the caller of an HTTP request: the verified client
// certificate over TLS, else the plaintext rule (local on loopback).
func httpCaller(r *http.Request) string {
	if r.TLS != nil {
		return authn.FromCertificates(r.TLS.VerifiedChains)
	}
	return authzen.PlainCaller(r)
}

package app

import (
	"bytes"
	"fmt"
	"os"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/server"
)

// systemConfig is data.system.config for the system policy.
func (a *App) systemConfig() engine.SystemConfig {
	return engine.SystemConfig{Auditors: a.cfg.Authz.Auditors, PolicyAuthors: a.cfg.Authz.PolicyAuthors}
}

// authorizer decides who may call what with the system policy
// data.system.authz, evaluated by the engine.
func (a *App) authorizer() server.Authorizer {
	return authn.PolicyAuthorizer{Policy: a.engine}
}

// limiter is the per-caller token bucket of --rate-limit; nil when off.
func (a *App) limiter() server.Limiter {
	if a.cfg.Server.RateLimit <= 0 {
		return nil
	}
	return authn.NewRateLimiter(a.cfg.Server.RateLimit, a.cfg.Server.RateBurst)
}

// tokenVerifier verifies subject tokens against --jwks-file or --jwks-url
// (and the --jwt-hmac-secret-file secret); nil when none is configured, so
// that every token is a deny with reason token_unverifiable.
func (a *App) tokenVerifier() (decision.TokenVerifier, error) {
	j := a.cfg.JWT
	if j.JWKSFile == "" && j.JWKSURL == "" && j.HMACSecretFile == "" {
		return nil, nil
	}
	opts := authn.TokenOptions{Issuer: j.Issuer, Audience: j.Audience, Leeway: authn.MaxLeeway, Revoked: a.engine.Revoked}
	switch {
	case j.JWKSFile != "":
		keys, err := authn.ReadKeyFile(j.JWKSFile)
		if err != nil {
			return nil, err
		}
		opts.Keys = keys
	case j.JWKSURL != "":
		opts.Keys = authn.NewRemoteKeys(j.JWKSURL, authn.RemoteOptions{})
	}
	if j.HMACSecretFile != "" {
		secret, err := os.ReadFile(j.HMACSecretFile)
		if err != nil {
			return nil, fmt.Errorf("read --jwt-hmac-secret-file: %w", err)
		}
		if opts.HMACSecret = bytes.TrimRight(secret, "\r\n"); len(opts.HMACSecret) == 0 {
			return nil, fmt.Errorf("--jwt-hmac-secret-file %s is empty", j.HMACSecretFile)
		}
	}
	return authn.NewTokenVerifier(opts)
}

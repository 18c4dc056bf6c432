package decision

import (
	"context"
	"errors"

	"github.com/pdp-project/pdp/internal/pdp"
)

// TokenVerifier verifies a subject token and returns its claims. An error
// with a Reason() method names the deny reason (invalid_token,
// token_revoked, token_unverifiable); any other error, except the end of
// ctx, denies with invalid_token. Error messages must never hold the token.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (map[string]any, error)
}

// verifyToken checks req.Subject.Token when there is one. It returns the
// request with Subject.Claims (and Subject.ID from sub when empty) filled,
// or a deny result that replaces evaluation: an invalid token, a
// subject.id that differs from sub, or no verifier configured. The token
// itself stays out of every log line and record (Request.Input omits it).
func (s *Service) verifyToken(ctx context.Context, id string, req pdp.Request) (pdp.Request, *pdp.Result, error) {
	if req.Subject.Token == "" {
		return req, nil, nil
	}
	if s.tokens == nil {
		return req, s.tokenDenied(id, req, pdp.ReasonTokenUnverifiable, "no token verifier is configured"), nil
	}
	claims, err := s.tokens.Verify(ctx, req.Subject.Token)
	if err != nil {
		if ctx.Err() != nil {
			return req, nil, ctx.Err()
		}
		return req, s.tokenDenied(id, req, tokenReason(err), err.Error()), nil
	}
	sub, _ := claims["sub"].(string)
	switch {
	case req.Subject.ID == "" && sub == "":
		return req, s.tokenDenied(id, req, pdp.ReasonInvalidToken, "token has no sub and subject.id is empty"), nil
	case req.Subject.ID != "" && sub != req.Subject.ID:
		return req, s.tokenDenied(id, req, pdp.ReasonInvalidToken, "subject.id does not match the token's sub"), nil
	}
	req.Subject.ID, req.Subject.Claims = sub, claims
	return req, nil, nil
}

// Targets resolves an entrypoint against the active bundle set without
// evaluating it.
type Targets interface {
	Target(entrypoint string) (revision, resolved string, err error)
}

// targeted gives a decision made without evaluation (a refused token) the
// bundle revision and entrypoint an evaluation would have used; like an
// evaluation, it fails when no bundle is active or the entrypoint is not
// declared. Without Targets, the entrypoint is the one the request named.
func (s *Service) targeted(res pdp.Result, policy string) (pdp.Result, error) {
	if s.targets == nil {
		return res, nil
	}
	rev, ep, err := s.targets.Target(policy)
	if err != nil {
		return pdp.Result{}, err
	}
	res.BundleRevision, res.Entrypoint = rev, ep
	return res, nil
}

func tokenReason(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) && r.Reason() != "" {
		return r.Reason()
	}
	return pdp.ReasonInvalidToken
}

func (s *Service) tokenDenied(id string, req pdp.Request, reason, cause string) *pdp.Result {
	s.log.Warn("subject token refused", "decision_id", id, "caller", req.Caller, "reason", reason, "error", cause)
	res := pdp.Deny(reason)
	res.Err, res.Entrypoint = cause, req.Policy
	return &res
}

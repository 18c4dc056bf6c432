// Package extauthz serves Envoy's external authorization API
// (envoy.service.auth.v3.Authorization/Check) on the gRPC port, so that
// Envoy, Istio and other gateways can ask the PDP before they forward a
// request. Every decision goes through the decision use case and is audited
// like a Check.
//
// Input mapping (see also the README):
//
//	subject.type/id     "principal"/source.principal (the downstream's mTLS identity),
//	                    else "user"/the x-subject-id header (set it only after authentication),
//	                    else "anonymous"/"anonymous"
//	subject.attributes  {"address": source address, "principal": source.principal}
//	resource.type/id    "http"/the request path without its query
//	resource.attributes {"path", "query", "host", "scheme", "headers" (lower-case names;
//	                    authorization, cookie and proxy-authorization left out), "destination"}
//	action.name         the HTTP method; action.attributes {"protocol"}
//	environment         {"context_extensions": the route's context_extensions}
//
// Outcome: allow => OkResponse, obligations.headers (string values) added
// to the upstream request; deny => DeniedResponse, HTTP 403 unless
// obligations.status names another 4xx/5xx, obligations.headers added to
// the answer; a malformed request => DeniedResponse 403 with status
// INVALID_ARGUMENT and no decision; the PDP unable to decide (no bundle,
// audit store down) => DeniedResponse 503 with status UNAVAILABLE.
package extauthz

import (
	"context"
	"fmt"
	"log/slog"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

// maxRequestBytes bounds one request, as it does a Check of pdp.v1.
const maxRequestBytes = 1 << 20

// Decider is the decision use case as ext_authz needs it.
type Decider interface {
	Check(ctx context.Context, req pdp.Request) (pdp.Decision, error)
}

// Server implements envoy.service.auth.v3.Authorization.
type Server struct {
	authv3.UnimplementedAuthorizationServer
	dec Decider
	log *slog.Logger
}

var _ authv3.AuthorizationServer = (*Server)(nil)

// New returns a Server deciding through dec; a nil log discards.
func New(dec Decider, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{dec: dec, log: log}
}

// Register adds the Authorization service to g.
func (s *Server) Register(g grpc.ServiceRegistrar) { authv3.RegisterAuthorizationServer(g, s) }

// Check decides one HTTP request that Envoy holds. It never returns an
// error: every failure is a denial, so the gateway fails closed whatever
// its failure_mode_allow says.
func (s *Server) Check(ctx context.Context, in *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	if n := proto.Size(in); n > maxRequestBytes {
		return malformed(pdp.InvalidField("request", fmt.Sprintf("is %d bytes; at most %d are allowed", n, maxRequestBytes))), nil
	}
	req, err := toRequest(in, authn.CallerFromContext(ctx))
	if err != nil {
		return malformed(err), nil
	}
	d, err := s.dec.Check(ctx, req)
	if err != nil {
		return s.failed(ctx, err), nil
	}
	if d.Allow {
		return allowed(d), nil
	}
	return denied(d), nil
}

// FailClosed is a unary interceptor to run before every other one: an error
// that any of them returns for Check (a rate limit, a caller the system
// policy refuses, a panic, a request that does not decode) becomes a
// denial, since Envoy configured with failure_mode_allow lets a request
// through on an error. A malformed request is the caller's mistake and,
// as on every other method, is not logged.
func FailClosed(log *slog.Logger) grpc.UnaryServerInterceptor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err == nil || info.FullMethod != authv3.Authorization_Check_FullMethodName {
			return resp, err
		}
		st := grpcstatus.Convert(err)
		if st.Code() != codes.InvalidArgument {
			log.WarnContext(ctx, "ext_authz: call refused; denying", "error", err)
		}
		return refused(st), nil
	}
}

func (s *Server) failed(ctx context.Context, err error) *authv3.CheckResponse {
	if pdp.ErrorCode(err) == pdp.CodeInvalidArgument {
		return malformed(err)
	}
	s.log.WarnContext(ctx, "ext_authz: no decision; denying", "error", err)
	return unavailable()
}

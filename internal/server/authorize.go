package server

import (
	"context"
	"log/slog"
	"strings"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authn"
)

// Authorizer decides who may call what: method is the full gRPC method
// (e.g. /pdp.v1.AuditService/QueryDecisions), caller the authenticated
// identity ("" when unknown), explain whether the call asks for an
// explanation. It returns nil to let the call through, or a coded error
// (pdp.CodePermissionDenied) to refuse it.
type Authorizer interface {
	Authorize(ctx context.Context, method, caller string, explain bool) error
}

// openMethods are served to everyone: health probes and reflection.
func openMethod(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.")
}

func authorizeUnary(a Authorizer, log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := authorize(ctx, a, log, info.FullMethod, wantsExplain(req)); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

func authorizeStream(a Authorizer, log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := authorize(ss.Context(), a, log, info.FullMethod, false); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

func authorize(ctx context.Context, a Authorizer, log *slog.Logger, method string, explain bool) error {
	if openMethod(method) {
		return nil
	}
	caller := authn.CallerFromContext(ctx)
	if err := a.Authorize(ctx, method, caller, explain); err != nil {
		log.Warn("call refused", "caller", caller, "method", method, "explain", explain, "error", err)
		return toStatus(log, method, err)
	}
	return nil
}

// wantsExplain reports whether a request asks for an explanation anywhere.
func wantsExplain(req any) bool {
	switch r := req.(type) {
	case *pdpv1.CheckRequest:
		return r.GetExplain()
	case *pdpv1.CheckBatchRequest:
		for _, c := range r.GetChecks() {
			if c.GetExplain() {
				return true
			}
		}
	}
	return false
}

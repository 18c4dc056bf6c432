package server

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Limiter rations calls per caller; Allow reports whether one more call may
// go through now.
type Limiter interface {
	Allow(caller string) bool
}

var _ Limiter = (*authn.RateLimiter)(nil)

// rateLimitUnary refuses calls over the caller's rate with ResourceExhausted
// (through toStatus); health and reflection are never limited. A nil
// Limiter lets everything through.
func rateLimitUnary(l Limiter, log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := limit(ctx, l, log, info.FullMethod); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

func rateLimitStream(l Limiter, log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := limit(ss.Context(), l, log, info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

func limit(ctx context.Context, l Limiter, log *slog.Logger, method string) error {
	if l == nil || openMethod(method) {
		return nil
	}
	caller := authn.CallerFromContext(ctx)
	if l.Allow(caller) {
		return nil
	}
	log.Warn("rate limit exceeded", "caller", caller, "method", method)
	return toStatus(log, method, pdp.Errorf(pdp.CodeResourceExhausted, "rate limit exceeded for caller %q", caller))
}

// Package server holds the gRPC and HTTP edges of the PDP: handlers,
// interceptors, health, and the one mapping of errors to gRPC statuses.
package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// maxRecvBytes lets a full batch arrive so that its items can be checked
// one by one against MaxRequestBytes and refused with a clear message.
const maxRecvBytes = 8 << 20

// streamWorkers is the number of goroutines kept to serve requests. Rego
// evaluation recurses deeply: on a fresh goroutine per request its stack
// grows, and is copied, several times per Check (a fifth of the CPU under
// load in make bench). Workers keep their grown stacks; when all are busy
// gRPC starts a goroutine per request as before.
const streamWorkers = 64

// GRPCOptions configures the gRPC server.
type GRPCOptions struct {
	Checker Checker
	// Planner answers PlanResources (plan.go); nil: Unavailable.
	Planner Planner
	// Where writes plans as SQL when a request names a dialect; nil:
	// such requests are Unavailable.
	Where  WhereFunc
	Logger *slog.Logger
	// Authorizer decides who may call what; required.
	Authorizer Authorizer
	// Creds are the transport credentials; nil serves plaintext.
	Creds credentials.TransportCredentials
	// Limiter rations calls per caller (ratelimit.go); nil: no limit.
	Limiter Limiter
	// StatsHandler observes every RPC (OTelStatsHandler, metrics.go); nil: none.
	StatsHandler stats.Handler
	// Outer interceptors run before every other one and see what they
	// return (ext_authz turns their errors into denials).
	Outer []grpc.UnaryServerInterceptor
}

// GRPC is the gRPC edge with its health service.
type GRPC struct {
	*grpc.Server
	health *health.Server
}

// NewGRPC builds the gRPC server: authorization service, health (NOT_SERVING
// until SetServing(true)) and reflection.
func NewGRPC(opts GRPCOptions) *GRPC {
	log := opts.Logger
	sopts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(newCodec()),
		grpc.MaxRecvMsgSize(maxRecvBytes),
		grpc.NumStreamWorkers(streamWorkers),
		grpc.ChainUnaryInterceptor(append(slices.Clone(opts.Outer), recoverUnary(log),
			rateLimitUnary(opts.Limiter, log), authorizeUnary(opts.Authorizer, log), errorsUnary(log))...),
		grpc.ChainStreamInterceptor(rateLimitStream(opts.Limiter, log), authorizeStream(opts.Authorizer, log),
			wireStream(log)),
	}
	if opts.Creds != nil {
		sopts = append(sopts, grpc.Creds(opts.Creds))
	}
	if opts.StatsHandler != nil {
		sopts = append(sopts, grpc.StatsHandler(opts.StatsHandler))
	}
	g := &GRPC{Server: grpc.NewServer(sopts...), health: health.NewServer()}
	pdpv1.RegisterAuthorizationServiceServer(g.Server, &authorizationService{checker: opts.Checker,
		planner: opts.Planner, where: opts.Where})
	healthpb.RegisterHealthServer(g.Server, g.health)
	reflection.Register(g.Server)
	g.SetServing(false)
	return g
}

// SetServing flips the health status of the server and of the
// authorization service.
func (g *GRPC) SetServing(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	g.health.SetServingStatus("", st)
	g.health.SetServingStatus(pdpv1.AuthorizationService_ServiceDesc.ServiceName, st)
}

// Shutdown marks every service NOT_SERVING for good.
func (g *GRPC) Shutdown() { g.health.Shutdown() }

func errorsUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := wireError(req); err != nil { // codec.go
			return nil, toStatus(withTraceID(ctx, log), info.FullMethod, err)
		}
		resp, err := h(ctx, req)
		if err != nil {
			return nil, toStatus(withTraceID(ctx, log), info.FullMethod, err)
		}
		return resp, nil
	}
}

// recoverUnary turns a panic into Internal; the stack is logged once.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return h(ctx, req)
	}
}

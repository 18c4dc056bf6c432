package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/stats"
)

// MetricsPath is where the HTTP port serves the Prometheus text format.
const MetricsPath = "/metrics"

// MetricsHandlers mounts h at GET /metrics, for HTTPOptions.Handlers.
func MetricsHandlers(h http.Handler) map[string]http.Handler {
	return map[string]http.Handler{"GET " + MetricsPath: h}
}

// OTelStatsHandler is the gRPC stats handler that gives every RPC its
// server span (continuing the caller's W3C trace context) and records the
// standard OpenTelemetry RPC server metrics. Health checks, polled all the
// time by orchestrators, are left out of both.
func OTelStatsHandler(tp trace.TracerProvider, mp metric.MeterProvider, prop propagation.TextMapPropagator) stats.Handler {
	return otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithMeterProvider(mp),
		otelgrpc.WithPropagators(prop), otelgrpc.WithFilter(notHealth))
}

func notHealth(info *stats.RPCTagInfo) bool {
	return !strings.HasPrefix(info.FullMethodName, "/"+healthpb.Health_ServiceDesc.ServiceName+"/")
}

// withTraceID adds the request's trace id to log, for the error lines that
// toStatus writes.
func withTraceID(ctx context.Context, log *slog.Logger) *slog.Logger {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return log.With("trace_id", sc.TraceID().String())
	}
	return log
}

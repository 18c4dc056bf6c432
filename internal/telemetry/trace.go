package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the service.name of the PDP's spans unless
// OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise.
const ServiceName = "pdp"

// TraceOptions configures InitTracing. The zero value reads the process
// environment.
type TraceOptions struct {
	// Getenv reads OTEL_* variables; nil means os.Getenv.
	Getenv func(string) string
	// Exporter, when set, receives every span synchronously whatever the
	// environment says (tests use an in-memory exporter).
	Exporter sdktrace.SpanExporter
}

// Tracing is what InitTracing sets up: the provider and the propagator
// (W3C trace context and baggage) that the gRPC edge uses.
type Tracing struct {
	Provider   trace.TracerProvider
	Propagator propagation.TextMapPropagator
	// Enabled reports whether spans are recorded and exported.
	Enabled bool
}

// InitTracing builds tracing from the standard OTEL_* variables: spans are
// exported over OTLP when OTEL_TRACES_EXPORTER is "otlp" or an OTLP endpoint
// is set (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, protocol from
// OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL: http/protobuf, the default, or
// grpc); OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
// Sampler and resource come from OTEL_TRACES_SAMPLER[_ARG],
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Otherwise nothing is
// recorded or exported, but every request still gets a trace id (the
// caller's, from its traceparent header, or a new one) for the audit
// record and the logs. The shutdown func flushes pending spans.
func InitTracing(ctx context.Context, opts TraceOptions) (Tracing, func(context.Context) error, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t := Tracing{Provider: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	exp, err := spanExporter(ctx, getenv, opts.Exporter)
	if err != nil || exp == nil {
		return t, noShutdown, err
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return t, noShutdown, fmt.Errorf("otel resource: %w", err)
	}
	var proc sdktrace.SpanProcessor
	if opts.Exporter != nil {
		proc = sdktrace.NewSimpleSpanProcessor(exp)
	} else {
		proc = sdktrace.NewBatchSpanProcessor(exp)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc), sdktrace.WithResource(res))
	t.Provider, t.Enabled = tp, true
	return t, tp.Shutdown, nil
}

func noShutdown(context.Context) error { return nil }

// spanExporter picks the exporter the environment asks for; nil: none.
func spanExporter(ctx context.Context, getenv func(string) string, given sdktrace.SpanExporter) (sdktrace.SpanExporter, error) {
	if given != nil {
		return given, nil
	}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return nil, nil
	}
	switch kind := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); kind {
	case "none":
		return nil, nil
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return nil, nil
		}
	case "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", kind)
	}
	return otlpExporter(ctx, getenv)
}

func otlpExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var exp sdktrace.SpanExporter
	var err error
	switch proto {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: use http/protobuf or grpc", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	return exp, nil
}

// TraceID returns the hex trace id of the span in ctx, "" when there is none.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}

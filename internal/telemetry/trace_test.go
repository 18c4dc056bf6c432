package telemetry_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/telemetry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInitTracingFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		enabled bool
		wantErr bool
	}{
		{"unset: nothing exported", nil, false, false},
		{"otlp endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, true, false},
		{"otlp over grpc", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, false},
		{"exporter none wins", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, false, false},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, false, false},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, true},
		{"unknown protocol", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, shutdown, err := telemetry.InitTracing(context.Background(), telemetry.TraceOptions{
				Getenv: func(k string) string { return tt.env[k] }})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			defer func() {
				if err := shutdown(context.Background()); err != nil {
					t.Errorf("shutdown: %v", err)
				}
			}()
			if tr.Enabled != tt.enabled {
				t.Errorf("enabled = %v, want %v", tr.Enabled, tt.enabled)
			}
			if tt.enabled { // the endpoints above do not listen: no span is sent
				return
			}
			ctx, span := tr.Provider.Tracer("t").Start(context.Background(), "s")
			defer span.End()
			if span.IsRecording() || telemetry.TraceID(ctx) == "" {
				t.Errorf("recording = %v, trace id %q: want no recording but a trace id", span.IsRecording(), telemetry.TraceID(ctx))
			}
		})
	}
}

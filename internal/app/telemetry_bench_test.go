package app_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/pdp-project/pdp/internal/app"
)

// discardSpans is an exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkCheckTelemetry is the cost of telemetry per Check, side by side:
// off (no spans, no stats handler, no metrics), default (metrics and trace
// ids, no OTEL_* set: spans not recorded), and traced (every span recorded
// and handed synchronously to an exporter that drops it: an upper bound of
// the OTLP batch exporter). Each Check is answered from the cache, so the
// telemetry is a large share of it; compare ns/op and allocs/op.
// Run with -count to see the noise of a shared machine.
func BenchmarkCheckTelemetry(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []app.Option
	}{
		{"off", []app.Option{app.WithoutTelemetry()}},
		{"default", nil},
		{"traced", []app.Option{app.WithSpanExporter(discardSpans{})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, _ := startTelemetry(b, bc.opts...)
			defer r.stop(b)
			req := request()
			b.SetParallelism(8) // 16 concurrent callers: group commits fill up
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.client.Check(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

package app_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/metadata"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/decision"
)

// startTelemetry is start with app options; it returns the audit database path.
func startTelemetry(tb testing.TB, opts ...app.Option) (*running, string) {
	tb.Helper()
	r := launch{opts: opts}.start(tb)
	return r, r.db
}

// TestOneTracePerCheck: each Check is one trace whose server span has the
// cache lookup, the evaluation (on a miss only) and the audit write as
// children, and the audit record holds the trace id; a caller's
// traceparent is continued.
func TestOneTracePerCheck(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	r, db := startTelemetry(t, app.WithSpanExporter(keepSpans{exp}))
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	checks := []struct {
		name     string
		ctx      context.Context
		children []string
	}{
		{"miss", context.Background(), []string{decision.SpanCacheLookup, decision.SpanEvaluate, decision.SpanAuditWrite}},
		{"hit", context.Background(), []string{decision.SpanCacheLookup, decision.SpanAuditWrite}},
		{"traceparent", metadata.AppendToOutgoingContext(context.Background(),
			"traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01"), []string{decision.SpanCacheLookup, decision.SpanAuditWrite}},
	}
	ids := make([]string, len(checks))
	for i, c := range checks {
		resp, err := r.client.Check(c.ctx, request())
		if err != nil {
			t.Fatalf("%s: Check: %v", c.name, err)
		}
		ids[i] = resp.GetDecisionId()
	}
	r.stop(t)
	spans := exp.GetSpans()
	traces := map[string]tracetest.SpanStubs{}
	for _, s := range spans {
		traces[s.SpanContext.TraceID().String()] = append(traces[s.SpanContext.TraceID().String()], s)
	}
	if len(traces) != len(checks) {
		t.Fatalf("%d traces for %d checks: %v", len(traces), len(checks), spanNames(spans))
	}
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, c := range checks {
		rec, err := store.Get(context.Background(), ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if c.name == "traceparent" && rec.TraceID != callerTrace {
			t.Errorf("traceparent: record trace id %q, want the caller's %s", rec.TraceID, callerTrace)
		}
		checkTrace(t, c.name, traces[rec.TraceID], c.children)
	}
}

// keepSpans keeps the spans past the shutdown of the app (the in-memory
// exporter drops them on Shutdown).
type keepSpans struct{ *tracetest.InMemoryExporter }

func (keepSpans) Shutdown(context.Context) error { return nil }

// checkTrace: one root (the gRPC server span) whose children are want.
func checkTrace(t *testing.T, name string, spans tracetest.SpanStubs, want []string) {
	t.Helper()
	var root sdktrace.ReadOnlySpan
	ss := spans.Snapshots()
	for _, s := range ss {
		if s.Name() == "pdp.v1.AuthorizationService/Check" {
			root = s
		}
	}
	if root == nil {
		t.Fatalf("%s: no server span among %v", name, spanNames(spans))
	}
	var children []string
	for _, s := range ss {
		if s.Parent().SpanID() == root.SpanContext().SpanID() {
			children = append(children, s.Name())
		}
	}
	if len(children) != len(want) || len(ss) != len(want)+1 {
		t.Fatalf("%s: children of the server span %v (all spans %v), want %v", name, children, spanNames(spans), want)
	}
	for _, w := range want {
		if !containsName(children, w) {
			t.Errorf("%s: no %s child in %v", name, w, children)
		}
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name+"@"+s.SpanContext.TraceID().String()[:8])
	}
	return out
}

func containsName(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

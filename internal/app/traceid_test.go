package app_test

import (
	"context"
	"regexp"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/pdp-project/pdp/internal/audit/sqlite"
)

// TestTraceIDsWithoutExporter: with no span exporter (no decision spans are
// started then), every record still carries its request's trace id: a new
// one per Check, or the caller's from its traceparent.
func TestTraceIDsWithoutExporter(t *testing.T) {
	r, db := startTelemetry(t)
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	withParent := metadata.AppendToOutgoingContext(context.Background(),
		"traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	var ids []string
	for _, ctx := range []context.Context{context.Background(), context.Background(), withParent} {
		resp, err := r.client.Check(ctx, request())
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		ids = append(ids, resp.GetDecisionId())
	}
	r.stop(t)
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	got := make([]string, len(ids))
	for i, id := range ids {
		rec, err := store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = rec.TraceID
	}
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if !hex.MatchString(got[0]) || !hex.MatchString(got[1]) || got[0] == got[1] {
		t.Errorf("trace ids of two Checks = %q, %q; want two distinct 32-digit hex ids", got[0], got[1])
	}
	if got[2] != callerTrace {
		t.Errorf("trace id with a traceparent = %q, want the caller's %s", got[2], callerTrace)
	}
}

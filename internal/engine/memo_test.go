package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pdp-project/pdp/internal/engine"
)

// TestAuthorizeMemoBounded: answers stay right past the memo's bound, and
// the memo never holds more than maxMemo answers.
func TestAuthorizeMemoBounded(t *testing.T) {
	e := systemEngine()
	for i := range engine.MaxMemo + 100 {
		caller := fmt.Sprintf("spiffe://x/svc-%d", i)
		for _, explain := range []bool{false, true} {
			got, err := e.Authorize(context.Background(), auditMethod, caller, explain)
			if err != nil || got {
				t.Fatalf("caller %s: Authorize = %v, %v; want a refusal", caller, got, err)
			}
		}
	}
	if n := engine.MemoSize(e); n != engine.MaxMemo {
		t.Fatalf("memo holds %d answers, want %d", n, engine.MaxMemo)
	}
	if got, _ := e.Authorize(context.Background(), auditMethod, "spiffe://x/auditor", false); !got {
		t.Fatal("auditor refused after the memo filled up")
	}
}

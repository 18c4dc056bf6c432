package authn_test

import (
	"testing"

	"github.com/pdp-project/pdp/internal/authn"
)

// TestRateLimiterPerCaller: each caller has its own bucket of burst tokens.
func TestRateLimiterPerCaller(t *testing.T) {
	l := authn.NewRateLimiter(0.001, 3) // refills far slower than the test runs
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("call %d of a refused within burst", i)
		}
	}
	if l.Allow("a") {
		t.Fatal("call 4 of a allowed over burst")
	}
	if !l.Allow("b") {
		t.Fatal("b refused: buckets are not per caller")
	}
}

package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/cachetest"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestLocalConformance(t *testing.T) {
	cachetest.Run(t, func(*testing.T) cache.Tier { return cache.NewLocal(100, nil) })
}

func TestLocalEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	l := cache.NewLocal(2, nil)
	for _, k := range []string{"a", "b"} {
		_ = l.Set(ctx, k, pdp.Result{Entrypoint: k}, time.Minute)
	}
	_, _, _ = l.Get(ctx, "a") // b is now the least recently used
	_ = l.Set(ctx, "c", pdp.Result{Entrypoint: "c"}, time.Minute)
	if l.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l.Len())
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, ok, _ := l.Get(ctx, k); ok != want {
			t.Errorf("Get(%s) present = %v, want %v", k, ok, want)
		}
	}
}

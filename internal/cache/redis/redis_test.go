package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/cachetest"
	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, url string, opts redis.Options) *redis.Store {
	t.Helper()
	s, err := redis.Open(url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.Start(t)
	cachetest.Run(t, func(t *testing.T) cache.Tier {
		// A fresh key prefix per subtest keeps them apart on one server.
		return open(t, srv.URL(), redis.Options{Prefix: t.Name() + ":", Timeout: time.Second})
	})
}

func TestOutageIsAnErrorThenBreakerOpensAndProbes(t *testing.T) {
	srv := redistest.Start(t)
	now := time.Unix(1000, 0)
	s := open(t, srv.URL(), redis.Options{FailureThreshold: 3, Cooldown: time.Minute,
		Timeout: 200 * time.Millisecond, Clock: func() time.Time { return now }})
	ctx := context.Background()
	res := pdp.Result{Allow: true, BundleRevision: "r", Entrypoint: "e"}
	if err := s.Set(ctx, "k", res, time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	srv.Kill()
	for i := range 3 {
		if _, _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, redis.ErrOpen) {
			t.Fatalf("call %d during outage: err = %v, want a connection error", i, err)
		}
	}
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, redis.ErrOpen) {
		t.Fatalf("after 3 failures: err = %v, want ErrOpen", err)
	}
	srv.Restart()
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, redis.ErrOpen) {
		t.Fatalf("before the cool-down: err = %v, want ErrOpen", err)
	}
	now = now.Add(time.Minute)
	if _, ok, err := s.Get(ctx, "k"); err != nil || ok {
		t.Fatalf("probe after restart (empty server): ok=%v err=%v, want a plain miss", ok, err)
	}
	if err := s.Set(ctx, "k", res, time.Minute); err != nil {
		t.Fatalf("Set after the breaker closed: %v", err)
	}
}

func TestURLForms(t *testing.T) {
	for _, url := range []string{
		"redis://127.0.0.1:1/0",
		"rediss://user:pw@127.0.0.1:1/2",
		"redis://127.0.0.1:1?addr=127.0.0.1:2&addr=127.0.0.1:3",
		"redis://127.0.0.1:26379?master_name=mymaster",
	} {
		s, err := redis.Open(url, redis.Options{})
		if err != nil {
			t.Errorf("Open(%s): %v", url, err)
			continue
		}
		_ = s.Close()
	}
	if _, err := redis.Open("redis://%zz", redis.Options{}); err == nil {
		t.Error("Open accepted a malformed URL")
	}
}

package redis_test

import (
	"context"
	"errors"
	"strings"
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
	cluster := redis.Topology{Cluster: true}
	tests := []struct {
		name    string
		url     string
		topo    redis.Topology
		wantErr string // "" when Open accepts it
	}{
		{"one server", "redis://127.0.0.1:1/0", redis.Topology{}, ""},
		{"tls and password", "rediss://user:pw@127.0.0.1:1/2", redis.Topology{}, ""},
		{"cluster", "redis://127.0.0.1:1?addr=127.0.0.1:2&addr=127.0.0.1:3", cluster, ""},
		{"cluster of one seed", "redis://127.0.0.1:1", cluster, ""},
		{"sentinel by flag", "redis://127.0.0.1:26379?addr=127.0.0.1:26380", redis.Topology{SentinelMaster: "m"}, ""},
		{"sentinel by URL", "redis://127.0.0.1:26379?master_name=m", redis.Topology{}, ""},
		{"addr without a topology", "redis://127.0.0.1:1?addr=127.0.0.1:2", redis.Topology{}, "add --redis-cluster"},
		{"cluster database", "redis://127.0.0.1:1/2", cluster, "only database 0"},
		{"cluster and sentinel", "redis://127.0.0.1:1", redis.Topology{Cluster: true, SentinelMaster: "m"}, "no sentinel master"},
		{"masters differ", "redis://127.0.0.1:1?master_name=a", redis.Topology{SentinelMaster: "b"}, "differs"},
		{"bad addr", "redis://127.0.0.1:1?addr=nope", cluster, "addr param"},
		{"malformed", "redis://%zz", redis.Topology{}, "not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redis.Open(tc.url, redis.Options{Topology: tc.topo})
			if err == nil {
				_ = s.Close()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Open: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Open = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPrefixWithHashTagIsRefused(t *testing.T) {
	for prefix, wantErr := range map[string]bool{"pdp:{x}:": true, "pdp:{}:": false, "pdp:{": false, "p:": false} {
		s, err := redis.Open("redis://127.0.0.1:1", redis.Options{Prefix: prefix})
		if err == nil {
			_ = s.Close()
		}
		if (err != nil) != wantErr {
			t.Errorf("prefix %q: err = %v, want error: %v", prefix, err, wantErr)
		}
	}
}

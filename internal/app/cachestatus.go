package app

import (
	"context"
	"time"
)

// pinger is the shared cache (Redis) as its status is checked.
type pinger interface {
	Ping(ctx context.Context) error
}

// cacheProbeTimeout bounds the check of the shared cache at start and on
// each /readyz.
const cacheProbeTimeout = time.Second

// Values of "cache" in /readyz. A degraded cache does not make the PDP
// unready: it decides without the shared tier until Redis answers.
const (
	cacheOff      = "off"      // --cache-ttl 0
	cacheOK       = "ok"       // local tier only, or Redis answers
	cacheDegraded = "degraded" // Redis does not answer
)

// Redis at start: a few pings, as the first one also dials under the
// cache's short per-call timeout; fewer than the failures that open its
// breaker.
const (
	cacheProbeAttempts = 3
	cacheProbeSpacing  = 100 * time.Millisecond
)

// checkRemoteCache says once, at start, that the shared cache cannot be
// reached.
func (a *App) checkRemoteCache(p pinger) {
	ctx, cancel := context.WithTimeout(context.Background(), cacheProbeTimeout)
	defer cancel()
	var err error
	for range cacheProbeAttempts {
		if err = p.Ping(ctx); err == nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(cacheProbeSpacing):
		}
	}
	a.log.Warn("redis cache cannot be reached; deciding without it until it answers (/readyz shows cache: degraded)",
		"error", err.Error())
}

// addCacheStatus adds the cache's status to a /readyz document: "cache"
// (off, ok or degraded) and, when degraded, "cache_error".
func (a *App) addCacheStatus(ctx context.Context, doc map[string]any) {
	switch {
	case a.cfg.Cache.TTL <= 0:
		doc["cache"] = cacheOff
	case a.remote == nil:
		doc["cache"] = cacheOK
	default:
		ctx, cancel := context.WithTimeout(ctx, cacheProbeTimeout)
		defer cancel()
		doc["cache"] = cacheOK
		if err := a.remote.Ping(ctx); err != nil {
			doc["cache"], doc["cache_error"] = cacheDegraded, err.Error()
		}
	}
}

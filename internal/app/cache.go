package app

import (
	"fmt"

	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/decision"
)

// cachedEvaluator wraps the engine with the decision cache: an in-process
// LRU of --cache-size entries (none when 0) in front of Redis when
// --redis-url is set (one server, a Redis Cluster with --redis-cluster, or
// Sentinel with --redis-sentinel-master). --cache-ttl 0 turns the cache off.
func (a *App) cachedEvaluator() (decision.Evaluator, error) {
	c := a.cfg.Cache
	if c.TTL <= 0 {
		return a.engine, nil
	}
	opts := cache.Options{TTL: c.TTL, Logger: a.log}
	if c.Size > 0 {
		opts.Local = cache.NewLocal(c.Size, nil)
	}
	if c.RedisURL != "" {
		redis.RouteLogs(a.log)
		store, err := redis.Open(c.RedisURL, redis.Options{Topology: redis.Topology{
			Cluster: c.RedisCluster, SentinelMaster: c.RedisSentinelMaster}})
		if err != nil {
			return nil, fmt.Errorf("--redis-url: %w", err)
		}
		a.closers = append(a.closers, store.Close)
		opts.Remote, a.remote = store, store
		a.checkRemoteCache(store) // cachestatus.go
	}
	if opts.Local == nil && opts.Remote == nil {
		return a.engine, nil
	}
	return cache.New(a.tracedEngine(), a.engine, opts), nil
}

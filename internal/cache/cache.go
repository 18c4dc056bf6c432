// Package cache is the decision cache: a decorator around the evaluator that
// keys each query on the bundle revision and content digest, the entrypoint
// and the parts of the input the entrypoint can read (Key), looks in an
// in-process LRU (Local) and then in a shared tier (cache/redis), and
// collapses concurrent identical misses into one evaluation. It never imports
// OPA: what the policy can read comes from the engine's Plan.
package cache

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Evaluator answers a query; the cache decorates one.
type Evaluator interface {
	Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error)
}

// Planner reports what an entrypoint of the active bundle set can read.
type Planner interface {
	Plan(entrypoint string) (pdp.Plan, error)
}

// Tier stores results by key. A Get error is treated as a miss and a Set
// error is ignored: a tier never fails a decision.
type Tier interface {
	Get(ctx context.Context, key string) (pdp.Result, bool, error)
	Set(ctx context.Context, key string, res pdp.Result, ttl time.Duration) error
}

// Options configures a Cache.
type Options struct {
	// TTL is how long an entry lives in every tier; it must be positive.
	TTL time.Duration
	// Local is the in-process tier; nil means none.
	Local Tier
	// Remote is the shared tier (Redis); nil means none.
	Remote Tier
	Logger *slog.Logger
}

// Cache is an Evaluator that answers from its tiers when it can.
type Cache struct {
	next    Evaluator
	planner Planner
	opts    Options
	log     *slog.Logger
	flight  singleflight.Group
	stats   counters
}

var _ Evaluator = (*Cache)(nil)

// New wraps next; planner is usually the same engine.
func New(next Evaluator, planner Planner, opts Options) *Cache {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{next: next, planner: planner, opts: opts, log: log}
}

// Evaluate answers q from the cache or by evaluating it. Explain requests,
// entrypoints that use non-deterministic built-ins and queries the engine
// rejects go straight to the evaluator.
func (c *Cache) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	key, plan, ok := c.key(q)
	if !ok {
		return c.next.Evaluate(ctx, q)
	}
	if res, hit := c.get(ctx, c.opts.Local, key, &c.stats.localHits); hit {
		return res, nil
	}
	ch := c.flight.DoChan(key, func() (any, error) { return c.fill(ctx, q, plan, key) })
	select {
	case r := <-ch:
		return c.shared(ctx, q, r)
	case <-ctx.Done():
		return pdp.Result{}, ctx.Err()
	}
}

// key returns the cache key of q, and false when q must not be cached.
func (c *Cache) key(q pdp.Query) (string, pdp.Plan, bool) {
	if q.Explain {
		c.stats.bypassed.Add(1)
		return "", pdp.Plan{}, false
	}
	plan, err := c.planner.Plan(q.Entrypoint)
	if err != nil || !plan.Deterministic {
		c.stats.uncacheable.Add(1)
		return "", plan, false
	}
	key, err := Key(plan, q.Input)
	if err != nil {
		c.log.Warn("decision cache key", "error", err)
		c.stats.uncacheable.Add(1)
		return "", plan, false
	}
	return key, plan, true
}

// get looks key up in one tier; errors are misses.
func (c *Cache) get(ctx context.Context, t Tier, key string, hits *atomic.Uint64) (pdp.Result, bool) {
	if t == nil {
		return pdp.Result{}, false
	}
	res, ok, err := t.Get(ctx, key)
	if err != nil {
		c.stats.remoteErrors.Add(1)
		c.log.Debug("decision cache get", "error", err)
		return pdp.Result{}, false
	}
	if !ok {
		return pdp.Result{}, false
	}
	hits.Add(1)
	res.CacheHit = true
	return res, true
}

// filled is what one flight hands to every caller that shared it.
type filled struct{ res pdp.Result }

// fill runs once per key at a time: the shared tier, then evaluation, and
// stores what it evaluated.
func (c *Cache) fill(ctx context.Context, q pdp.Query, plan pdp.Plan, key string) (any, error) {
	if res, hit := c.get(ctx, c.opts.Remote, key, &c.stats.remoteHits); hit {
		c.set(ctx, c.opts.Local, key, res)
		return filled{res}, nil
	}
	c.stats.misses.Add(1)
	res, err := c.next.Evaluate(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stats.evaluations.Add(1)
	if !c.storable(q, res, plan) {
		c.stats.notStored.Add(1)
		return filled{res}, nil
	}
	c.set(ctx, c.opts.Local, key, res)
	c.set(ctx, c.opts.Remote, key, res)
	return filled{res}, nil
}

// storable: never an evaluation error, and only a result computed by the
// activation whose plan built the key; a bundle swap between Plan and
// Evaluate must not file a new answer under an old key, even when the new
// bundles keep the revision (the planner still reporting the same
// activation after evaluation shows that none landed).
func (c *Cache) storable(q pdp.Query, res pdp.Result, plan pdp.Plan) bool {
	if res.Err != "" || res.BundleRevision != plan.Revision || res.BundleDigest != plan.Digest || res.Entrypoint != plan.Entrypoint {
		return false
	}
	now, err := c.planner.Plan(q.Entrypoint) // activations only count up: equal means none landed
	return err == nil && now.Activation == plan.Activation
}

func (c *Cache) set(ctx context.Context, t Tier, key string, res pdp.Result) {
	if t == nil {
		return
	}
	res.CacheHit, res.Explanation = false, ""
	if err := t.Set(ctx, key, res, c.opts.TTL); err != nil {
		c.stats.remoteErrors.Add(1)
		c.log.Debug("decision cache set", "error", err)
	}
}

// shared turns a flight's outcome into this caller's answer. When the
// caller that led the flight gave up, the others evaluate for themselves.
func (c *Cache) shared(ctx context.Context, q pdp.Query, r singleflight.Result) (pdp.Result, error) {
	if r.Err != nil {
		if isContextErr(r.Err) && ctx.Err() == nil {
			return c.next.Evaluate(ctx, q)
		}
		return pdp.Result{}, r.Err
	}
	if r.Shared {
		c.stats.shared.Add(1)
	}
	return r.Val.(filled).res, nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

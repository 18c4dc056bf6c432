// Package redis is the shared tier of the decision cache, on go-redis'
// universal client (a single server, Redis Cluster or Sentinel, chosen by
// the URL and Topology). Every call has a timeout, errors are the caller's
// misses, and a circuit breaker stops calling a server for a while after
// repeated failures: one breaker for a single server or Sentinel, one per
// master in a Redis Cluster, so a dead master costs only its own slots.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Defaults of Options.
const (
	DefaultTimeout          = 20 * time.Millisecond
	DefaultPrefix           = "pdp:decision:"
	DefaultFailureThreshold = 5
	DefaultCooldown         = time.Second
)

// ErrOpen is returned, without calling Redis, while the breaker is open.
var ErrOpen = errors.New("redis circuit breaker open")

// Options configures a Store; zero values take the defaults above.
type Options struct {
	Timeout          time.Duration // per call
	Prefix           string        // prepended to every key
	FailureThreshold int           // consecutive failures that open the breaker
	Cooldown         time.Duration // how long the breaker stays open before a probe
	Clock            func() time.Time
	Topology         Topology // how the URL's servers form the cache
}

// Store is a cache tier in Redis. It is safe for concurrent use.
type Store struct {
	client   goredis.UniversalClient
	opts     Options
	breakers *breakers
}

// Open parses a redis:// or rediss:// URL (see universalOptions) and
// returns a Store; it does not connect until first used. Each entry is one
// key (prefix + hex digest, no hash tag) read and written by single-key
// commands, so in a Redis Cluster the entries spread over every slot.
func Open(rawURL string, opts Options) (*Store, error) {
	opts = withDefaults(opts)
	if hasHashTag(opts.Prefix) {
		return nil, fmt.Errorf("redis prefix %q holds a hash tag, which would put every entry in one cluster slot", opts.Prefix)
	}
	uo, err := universalOptions(rawURL, opts.Topology)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	uo.DialTimeout, uo.ReadTimeout, uo.WriteTimeout = opts.Timeout, opts.Timeout, opts.Timeout
	uo.PoolTimeout, uo.ContextTimeoutEnabled, uo.MaxRetries = opts.Timeout, true, -1
	// A refused dial (a killed master) is a miss at once, not backoffs until
	// the timeout: one dial per attempt, and a cluster client that retries
	// another node (its redirects) does so without sleeping.
	uo.DialerRetries, uo.MinRetryBackoff, uo.MaxRetryBackoff = 1, -1, -1
	uo.DisableIdentity = true
	return NewWithClient(goredis.NewUniversalClient(uo), opts), nil
}

// hasHashTag reports whether s holds a Redis Cluster hash tag: a "{"
// followed later by a "}" with something between them.
func hasHashTag(s string) bool {
	i := strings.IndexByte(s, '{')
	return i >= 0 && strings.IndexByte(s[i+1:], '}') > 0
}

// RouteLogs sends go-redis' own log lines (a failed dial, a pool error) to
// log at warn level, so that stderr stays JSON. go-redis keeps one logger
// per process: this sets it for every client.
func RouteLogs(log *slog.Logger) { goredis.SetLogger(printfLogger{log}) }

type printfLogger struct{ log *slog.Logger }

func (l printfLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

// NewWithClient returns a Store over an existing client, which Close closes.
func NewWithClient(client goredis.UniversalClient, opts Options) *Store {
	opts = withDefaults(opts)
	newB := func() *breaker { return newBreaker(opts.FailureThreshold, opts.Cooldown, opts.Clock) }
	return &Store{client: client, opts: opts, breakers: newBreakers(client, newB)}
}

func withDefaults(o Options) Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = DefaultFailureThreshold
	}
	if o.Cooldown <= 0 {
		o.Cooldown = DefaultCooldown
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Get reads the result stored at key.
func (s *Store) Get(ctx context.Context, key string) (pdp.Result, bool, error) {
	var raw []byte
	err := s.call(ctx, s.opts.Prefix+key, func(ctx context.Context, key string) error {
		var err error
		raw, err = s.client.Get(ctx, key).Bytes()
		if errors.Is(err, goredis.Nil) {
			return nil
		}
		return err
	})
	if err != nil || raw == nil {
		return pdp.Result{}, false, err
	}
	res, err := decode(raw)
	if err != nil {
		return pdp.Result{}, false, fmt.Errorf("redis get: %w", err)
	}
	return res, true, nil
}

// Set stores res at key with SET key value PX ttl.
func (s *Store) Set(ctx context.Context, key string, res pdp.Result, ttl time.Duration) error {
	raw, err := encode(res)
	if err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return s.call(ctx, s.opts.Prefix+key, func(ctx context.Context, key string) error {
		return s.client.Set(ctx, key, raw, ttl).Err()
	})
}

// call runs one command on key under the per-call timeout and the breaker
// of key's server (its master in a Redis Cluster); an empty key means the
// shared breaker.
func (s *Store) call(ctx context.Context, key string, f func(context.Context, string) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	b := s.breakers.shared
	if key != "" {
		b = s.breakers.forKey(ctx, key)
	}
	if !b.allow() {
		return ErrOpen
	}
	err := f(ctx, key)
	b.record(err == nil)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Ping checks the connection, under the breaker like every call.
func (s *Store) Ping(ctx context.Context) error {
	return s.call(ctx, "", func(ctx context.Context, _ string) error { return s.client.Ping(ctx).Err() })
}

// Close closes the client.
func (s *Store) Close() error { return s.client.Close() }

// entry is the compact value stored in Redis.
type entry struct {
	Allow       bool           `json:"a,omitempty"`
	Reasons     []string       `json:"r,omitempty"`
	Obligations map[string]any `json:"o,omitempty"`
	Revision    string         `json:"v"`
	Digest      string         `json:"d,omitempty"`
	Entrypoint  string         `json:"e"`
}

func encode(res pdp.Result) ([]byte, error) {
	return json.Marshal(entry{Allow: res.Allow, Reasons: res.Reasons, Obligations: res.Obligations,
		Revision: res.BundleRevision, Digest: res.BundleDigest, Entrypoint: res.Entrypoint})
}

func decode(raw []byte) (pdp.Result, error) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return pdp.Result{}, fmt.Errorf("decode entry: %w", err)
	}
	return pdp.Result{Allow: e.Allow, Reasons: e.Reasons, Obligations: e.Obligations,
		BundleRevision: e.Revision, BundleDigest: e.Digest, Entrypoint: e.Entrypoint}, nil
}

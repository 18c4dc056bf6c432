package authn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// maxJWKSBytes bounds a fetched key set.
const maxJWKSBytes = 1 << 20

// StaticKeys is a key set read once, from --jwks-file.
type StaticKeys struct{ set jwk.Set }

var _ KeySource = (*StaticKeys)(nil)

// ReadKeyFile reads a JWKS file.
func ReadKeyFile(path string) (*StaticKeys, error) {
	set, err := jwk.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --jwks-file: %w", err)
	}
	return &StaticKeys{set: set}, nil
}

// Keys returns the set; refresh changes nothing.
func (s *StaticKeys) Keys(context.Context, bool) (jwk.Set, error) { return s.set, nil }

// RemoteKeys is a key set fetched from --jwks-url and cached: refetched
// when older than MaxAge, or on an unknown kid at most once per MinRefresh.
// A failed fetch keeps the last good set; with none, keys are unavailable.
type RemoteKeys struct {
	url        string
	client     *http.Client
	maxAge     time.Duration
	minRefresh time.Duration
	now        func() time.Time

	mu      sync.Mutex
	set     jwk.Set
	fetched time.Time // last attempt
	good    time.Time // last success
}

var _ KeySource = (*RemoteKeys)(nil)

// RemoteOptions tunes RemoteKeys; zero values pick the defaults.
type RemoteOptions struct {
	Client     *http.Client  // default: 5 s timeout
	MaxAge     time.Duration // default 10 min
	MinRefresh time.Duration // default 10 s
	Clock      func() time.Time
}

// NewRemoteKeys caches the JWKS at url. Nothing is fetched until needed.
func NewRemoteKeys(url string, o RemoteOptions) *RemoteKeys {
	r := &RemoteKeys{url: url, client: o.Client, maxAge: o.MaxAge, minRefresh: o.MinRefresh, now: o.Clock}
	if r.client == nil {
		r.client = &http.Client{Timeout: 5 * time.Second}
	}
	if r.maxAge <= 0 {
		r.maxAge = 10 * time.Minute
	}
	if r.minRefresh <= 0 {
		r.minRefresh = 10 * time.Second
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Keys returns the cached set, fetching it when missing, stale, or when
// refresh asks (rate-limited).
func (r *RemoteKeys) Keys(ctx context.Context, refresh bool) (jwk.Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	stale := r.set == nil || now.Sub(r.good) > r.maxAge || refresh
	if !stale || now.Sub(r.fetched) < r.minRefresh {
		return r.current()
	}
	r.fetched = now
	set, err := r.fetch(ctx)
	if err != nil {
		if r.set != nil {
			return r.set, nil
		}
		return nil, err
	}
	r.set, r.good = set, now
	return set, nil
}

func (r *RemoteKeys) current() (jwk.Set, error) {
	if r.set == nil {
		return nil, errors.New("no key set fetched yet")
	}
	return r.set, nil
}

func (r *RemoteKeys) fetch(ctx context.Context) (jwk.Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, errors.New("fetch JWKS: bad URL") // the URL may hold credentials
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, errors.New("fetch JWKS: request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	return set, nil
}

package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/download"
	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/plugins/rest"
)

// DefaultPoll is the polling interval of HTTP sources when none is set.
const DefaultPoll = 30 * time.Second

// minBackoff is the first delay after a failed download; it doubles with
// every further failure up to the polling interval.
const minBackoff = 500 * time.Millisecond

// remote is an HTTP source that speaks OPA's bundle service protocol. OPA's
// downloader does the request (If-None-Match/ETag, 304, bearer token) and
// reads and verifies the tarball; remote drives it: poll with jitter,
// back off on errors.
type remote struct {
	url     string
	poll    time.Duration // 0: download until the first success, then stop
	dl      *download.Downloader
	results chan download.Update // the downloader's callback, one per Trigger
	store   persisted
	vc      *bundle.VerificationConfig
}

// update is what a remote hands to the manager: a new bundle (raw is its
// tarball, to persist once active) and/or why the download failed. With
// both set, b is the persisted copy, used because the server is unreachable.
type update struct {
	src *source
	b   *bundle.Bundle
	raw []byte
	err error
}

type remoteOptions struct {
	name, url, tokenFile string
	poll                 time.Duration
	vc                   *bundle.VerificationConfig
	store                persisted
}

func newRemote(o remoteOptions) (*remote, error) {
	base, path, err := splitURL(o.url)
	if err != nil {
		return nil, err
	}
	client, err := rest.New(restConfig(base, o.tokenFile), nil, rest.Logger(logging.NewNoOpLogger()))
	if err != nil {
		return nil, redactError(fmt.Errorf("bundle source %q: %w", o.url, err), o.url)
	}
	manual := plugins.TriggerManual
	cfg := download.Config{Trigger: &manual}
	if err := cfg.ValidateAndInjectDefaults(); err != nil {
		return nil, err
	}
	r := &remote{url: o.url, poll: o.poll, results: make(chan download.Update, 1), store: o.store, vc: o.vc}
	r.dl = download.New(cfg, client, path).
		WithCallback(r.deliver).
		WithBundleVerificationConfig(o.vc).
		WithBundlePersistence(true).
		WithBundleName(o.name).
		WithBundleParserOpts(ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.DefaultRegoVersion})
	return r, nil
}

// splitURL separates scheme://host from the path and query, because OPA's
// REST client joins them with a "/".
func splitURL(raw string) (base, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("bundle source %q is not a valid URL", redactURL(raw))
	}
	return u.Scheme + "://" + u.Host, strings.TrimPrefix(u.RequestURI(), "/"), nil
}

func restConfig(base, tokenFile string) []byte {
	cfg := map[string]any{"url": base}
	if tokenFile != "" {
		cfg["credentials"] = map[string]any{"bearer": map[string]any{"token_path": tokenFile}}
	}
	out, _ := json.Marshal(cfg) // maps of strings always marshal
	return out
}

func (r *remote) deliver(_ context.Context, u download.Update) error {
	select {
	case r.results <- u:
	default: // never: one Trigger, one callback
	}
	return nil
}

// run downloads until ctx ends and sends what it gets to out. At start, a
// failed download falls back to the persisted copy.
func (r *remote) run(ctx context.Context, s *source, out chan<- update) {
	failures, started, persisted := 0, false, false
	for {
		u, ok := r.fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case u.err == nil:
			failures, started, persisted = 0, true, false
		case !started:
			failures++
			u.b, u.err = r.fallback(u.err)
			started, persisted = true, u.b != nil
		case persisted:
			failures++
			u.err = fmt.Errorf("%w; serving the persisted copy", u.err)
		default:
			failures++
		}
		if ok || u.err != nil {
			u.src = s
			select {
			case out <- u:
			case <-ctx.Done():
				return
			}
		}
		if u.err == nil && r.poll <= 0 {
			return
		}
		if !sleep(ctx, r.delay(failures)) {
			return
		}
	}
}

// fetch makes one request. ok reports a new bundle; a 304 is neither new
// nor an error.
func (r *remote) fetch(ctx context.Context) (update, bool) {
	if err := r.dl.Trigger(ctx); err != nil && ctx.Err() != nil {
		return update{}, false
	}
	var got download.Update
	select {
	case got = <-r.results:
	default:
		return update{err: r.failed(errors.New("no result"))}, false
	}
	if got.Error != nil {
		return update{err: r.failed(got.Error)}, false
	}
	if got.Bundle == nil {
		return update{}, false
	}
	raw, err := io.ReadAll(got.Raw)
	if err != nil {
		return update{err: r.failed(err)}, false
	}
	return update{b: got.Bundle, raw: raw}, true
}

// failed is a download error fit for the log and /readyz: the URL's user
// info and query (a token) are removed from its text, wherever OPA's or Go's
// HTTP client repeated them.
func (r *remote) failed(err error) error {
	return redactError(fmt.Errorf("download %s: %w", r.url, err), r.url)
}

// fallback returns the persisted copy (verified again), or nil, and the
// cause extended with what became of the copy.
func (r *remote) fallback(cause error) (*bundle.Bundle, error) {
	b, err := r.store.load(r.vc)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w; persisted copy rejected: %w", cause, err)
	case b != nil:
		return b, fmt.Errorf("%w; serving the persisted copy", cause)
	}
	return nil, cause
}

// delay is the time to the next request: the polling interval with ±10%
// jitter, or after failures an exponential backoff capped by it.
func (r *remote) delay(failures int) time.Duration {
	ceiling := r.poll
	if ceiling <= 0 {
		ceiling = DefaultPoll
	}
	d := ceiling
	if failures > 0 {
		d = min(ceiling, minBackoff<<min(failures-1, 16))
	}
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

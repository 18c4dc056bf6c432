// Package engine is the only package that evaluates Rego. It compiles a set
// of OPA bundles into prepared queries, one per entrypoint, and publishes the
// set with a single atomic pointer swap, so that a request sees either the
// old set or the new one and never holds a lock while it evaluates.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Options configures an Engine.
type Options struct {
	// Entrypoint overrides the default entrypoint of every activated bundle
	// set (the --entrypoint flag). Empty means: the manifest's
	// metadata.entrypoint, else pdp.DefaultEntrypoint.
	Entrypoint string
	// Logger receives activation and evaluation-error logs; nil discards.
	Logger *slog.Logger
	// System is data.system.config for the system policy (system.go).
	System SystemConfig
}

// Engine evaluates queries against the active bundle set. It is safe for
// concurrent use.
type Engine struct {
	opts   Options
	log    *slog.Logger
	mu     sync.Mutex // serialises Activate; never taken by Evaluate
	active atomic.Pointer[compiled]
	// fallback is the embedded system policy, compiled on first use.
	fallback func() (*systemQuery, error)
	// activations counts successful activations (guarded by mu); the plans
	// of each set carry its number.
	activations uint64
}

// New returns an Engine with no active bundle set.
func New(opts Options) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{opts: opts, log: log, fallback: sync.OnceValues(func() (*systemQuery, error) {
		return defaultSystem(context.Background(), opts.System)
	})}
}

// Activate compiles bundles (by name) off to the side into prepared queries,
// one per entrypoint, and publishes them with one atomic swap. On any error
// the previously active set stays active. It returns the combined revision.
func (e *Engine) Activate(ctx context.Context, bundles map[string]*bundle.Bundle) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	set, err := compile(ctx, bundles, e.opts.Entrypoint, e.opts.System)
	if err != nil {
		return "", fmt.Errorf("activate bundles: %w", err)
	}
	e.activations++
	set.stamp(e.activations)
	old := e.active.Swap(set)
	e.log.Info("bundles activated", "bundle_revision", set.revision, "bundle_digest", set.digest,
		"entrypoint", set.defaultEntrypoint, "entrypoints", len(set.queries))
	if old != nil && old.revision == set.revision && old.digest != set.digest {
		e.log.Warn("bundle content changed under an unchanged revision; records tell them apart by bundle_digest",
			"bundle_revision", set.revision, "previous_digest", old.digest, "bundle_digest", set.digest)
	}
	return set.revision, nil
}

// Target resolves an entrypoint against the active bundle set without
// evaluating it: the revision and entrypoint an evaluation would use, or the
// error it would fail with (Unavailable, or InvalidArgument on "policy").
func (e *Engine) Target(entrypoint string) (revision, resolved string, err error) {
	set := e.active.Load()
	if set == nil {
		return "", "", pdp.Unavailable("no policy bundle is active", nil)
	}
	resolved, _, err = set.query(entrypoint)
	return set.revision, resolved, err
}

// Revision returns the combined revision of the active bundle set, and false
// when no set is active.
func (e *Engine) Revision() (string, bool) {
	set := e.active.Load()
	if set == nil {
		return "", false
	}
	return set.revision, true
}

package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/stats"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/cache"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/telemetry"
)

// Option adjusts how New builds the PDP.
type Option func(*App)

// WithSpanExporter sends every span to exp, whatever the OTEL_* variables
// say (tests use an in-memory exporter).
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(a *App) { a.obs.exporter = exp }
}

// WithoutTelemetry builds the PDP with no spans, no gRPC stats handler and
// no decision, audit or bundle metrics (/metrics still answers): the
// baseline of the telemetry cost benchmark.
func WithoutTelemetry() Option {
	return func(a *App) { a.obs.off = true }
}

// observability is the telemetry of one App: tracing from OTEL_*, the
// Prometheus registry and the deny-spike detector.
type observability struct {
	exporter sdktrace.SpanExporter
	off      bool
	tracing  telemetry.Tracing
	metrics  *telemetry.Metrics
	spikes   *telemetry.SpikeDetector
	cache    *cache.Cache // nil: no decision cache
}

// buildTelemetry is the first step of New.
func (a *App) buildTelemetry(ctx context.Context) error {
	tr, shutdown, err := telemetry.InitTracing(ctx, telemetry.TraceOptions{Exporter: a.obs.exporter})
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	a.closers = append(a.closers, func() error { return shutdown(context.Background()) })
	m, err := telemetry.NewMetrics()
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() error { return m.Shutdown(context.Background()) })
	al := a.cfg.Alarm
	a.obs.tracing, a.obs.metrics = tr, m
	a.obs.spikes = telemetry.NewSpikeDetector(telemetry.SpikeOptions{Ratio: al.Ratio, Min: al.Min, Window: al.Window})
	return nil
}

// tracedEngine is the engine as the decision cache calls it: with the
// evaluation span.
func (a *App) tracedEngine() decision.Evaluator {
	if !a.spans() {
		return a.engine
	}
	return decision.TraceEvaluation(a.engine, a.obs.tracing.Provider)
}

// traceEvaluator adds the cache lookup span in front of the cache, or the
// evaluation span in front of the engine when there is no cache.
func (a *App) traceEvaluator(eval decision.Evaluator) decision.Evaluator {
	if c, ok := eval.(*cache.Cache); ok {
		a.obs.cache = c
	}
	if !a.spans() {
		return eval
	}
	if a.obs.cache != nil {
		return decision.TraceLookup(a.obs.cache, a.obs.tracing.Provider)
	}
	return decision.TraceEvaluation(eval, a.obs.tracing.Provider)
}

func (a *App) traceRecorder(r decision.Recorder) decision.Recorder {
	if !a.spans() {
		return r
	}
	return decision.TraceRecorder(r, a.obs.tracing.Provider)
}

// spans reports whether the decision's own spans (cache lookup, evaluation,
// audit write) are worth starting: only when spans are recorded. Otherwise
// they would be non-recording children that nobody sees, and the server
// span alone gives the request its trace id.
func (a *App) spans() bool { return !a.obs.off && a.obs.tracing.Enabled }

func (a *App) statsHandler() stats.Handler {
	if a.obs.off {
		return nil
	}
	return server.OTelStatsHandler(a.obs.tracing.Provider, a.obs.metrics.MeterProvider(), a.obs.tracing.Propagator)
}

// observeActivator counts bundle activations by outcome.
func (a *App) observeActivator(act bundle.Activator) bundle.Activator {
	if a.obs.off {
		return act
	}
	return bundle.ObserveActivations(act, a.obs.metrics)
}

// loadObserver counts bundles that fail before activation as failed
// activations; nil when telemetry is off.
func (a *App) loadObserver() bundle.ActivationObserver {
	if a.obs.off {
		return nil
	}
	return a.obs.metrics
}

// mountMetrics adds /metrics to the HTTP handlers, with the collectors that
// read the cache and bundle state at scrape time.
func (a *App) mountMetrics(handlers map[string]http.Handler) (map[string]http.Handler, error) {
	m := a.obs.metrics
	if err := m.Register(telemetry.CacheCollector(a.cacheCounts)); err != nil {
		return nil, fmt.Errorf("cache metrics: %w", err)
	}
	if err := m.Register(telemetry.BundleCollector(a.bundleRevisions)); err != nil {
		return nil, fmt.Errorf("bundle metrics: %w", err)
	}
	if err := m.Register(telemetry.AuditBacklogCollector(a.auditBacklog)); err != nil {
		return nil, fmt.Errorf("audit metrics: %w", err)
	}
	if err := m.Register(telemetry.ShipBacklogCollector(a.shipBacklog)); err != nil { // fleet.go
		return nil, fmt.Errorf("audit ship metrics: %w", err)
	}
	if handlers == nil {
		handlers = map[string]http.Handler{}
	}
	for p, h := range server.MetricsHandlers(m.Handler()) {
		handlers[p] = h
	}
	return handlers, nil
}

func (a *App) cacheCounts() []telemetry.CacheCount {
	var s cache.Stats
	if a.obs.cache != nil {
		s = a.obs.cache.Stats()
	}
	return []telemetry.CacheCount{
		{Tier: "local", Outcome: "hit", Value: s.LocalHits},
		{Tier: "remote", Outcome: "hit", Value: s.RemoteHits},
		{Tier: "remote", Outcome: "error", Value: s.RemoteErrors},
		{Tier: "all", Outcome: "miss", Value: s.Misses},
		{Tier: "all", Outcome: "shared", Value: s.Shared},
		{Tier: "none", Outcome: "bypass", Value: s.Bypassed + s.Uncacheable},
	}
}

func (a *App) bundleRevisions() []telemetry.BundleRevision {
	var out []telemetry.BundleRevision
	for _, b := range a.bundles.Status().Bundles {
		if b.Revision != "" {
			out = append(out, telemetry.BundleRevision{Bundle: b.Name, Revision: b.Revision})
		}
	}
	return out
}

// decisionObserver feeds every audited decision to the metrics and the
// deny-spike detector.
func (a *App) decisionObserver() decision.Observer {
	if a.obs.off {
		return nil
	}
	return observer{a}
}

// commitObserver gives the audit writer's group commits to the metrics.
func (a *App) commitObserver() audit.CommitObserver {
	if a.obs.off {
		return nil
	}
	return a.obs.metrics
}

type observer struct{ a *App }

func (o observer) Decided(ctx context.Context, req pdp.Request, d pdp.Decision, elapsed time.Duration) {
	o.a.obs.metrics.Decided(d.Allow, d.CacheHit, elapsed)
	for _, s := range o.a.obs.spikes.Observe(req.Caller, subjectKey(req.Subject), d.Allow) {
		o.a.denySpike(ctx, s, d.BundleRevision)
	}
}

// subjectKey is "type:id"; empty (not tracked) when the id comes from a
// token only.
func subjectKey(s pdp.Subject) string {
	if s.ID == "" {
		return ""
	}
	if s.Type == "" {
		return s.ID
	}
	return s.Type + ":" + s.ID
}

// auditBacklog reads what waits in the audit journal, for the metrics.
func (a *App) auditBacklog() telemetry.AuditBacklog {
	b := a.store.Backlog()
	return telemetry.AuditBacklog{Records: b.Records, Oldest: b.Oldest, Bytes: b.Bytes}
}

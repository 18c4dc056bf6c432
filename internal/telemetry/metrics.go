package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Metrics holds every pdp_* metric, registered when it is built, and an
// OpenTelemetry MeterProvider whose instruments (otelgrpc's standard gRPC
// server metrics) are exported into the same registry.
type Metrics struct {
	reg      *prometheus.Registry
	provider *sdkmetric.MeterProvider
	declared []family

	decisions         *prometheus.CounterVec
	byOutcome         [2][2]prometheus.Counter // [allow][cached], resolved once
	decisionDuration  prometheus.Histogram
	auditRecords      prometheus.Counter
	auditWriteErrors  prometheus.Counter
	auditBatchSize    prometheus.Histogram
	bundleActivations *prometheus.CounterVec
	denySpike         *prometheus.GaugeVec
	denySpikeEvents   *prometheus.CounterVec
}

// family is a declared metric family: its header is served even before its
// first sample.
type family struct{ name, help, typ string }

// decisionBuckets spans the sub-millisecond cached answers up to slow
// evaluations.
var decisionBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// NewMetrics declares every pdp_* metric.
func NewMetrics() (*Metrics, error) {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.decisions = m.counterVec("pdp_decisions_total", "Decisions made (audited), by result (allow or deny) and whether the decision cache answered.", "result", "cached")
	m.decisionDuration = m.histogram("pdp_decision_duration_seconds", "Time from the start of a decision until its audit record is committed.", decisionBuckets)
	m.auditRecords = m.counter("pdp_audit_records_total", "Audit records committed.")
	m.auditWriteErrors = m.counter("pdp_audit_write_errors_total", "Audit group commits that failed (their decisions were withheld).")
	m.auditBatchSize = m.histogram("pdp_audit_commit_batch_size", "Records per audit group commit.", prometheus.ExponentialBuckets(1, 2, 11))
	m.bundleActivations = m.counterVec("pdp_bundle_activations_total", "Bundle set activations, by outcome (success or failure).", "outcome")
	m.denySpike = m.gaugeVec("pdp_deny_spike", "1 while the deny ratio of a caller or subject is above its baseline (deny-spike alarm), 0 after it subsided.", "scope", "key")
	m.denySpikeEvents = m.counterVec("pdp_deny_spike_events_total", "Deny-spike alarms raised, by scope (caller or subject).", "scope")
	m.declare(family{name: CacheRequestsMetric, help: cacheRequestsHelp, typ: "counter"})
	m.declare(family{name: BundleRevisionMetric, help: bundleRevisionHelp, typ: "gauge"})
	m.declare(family{name: AuditBacklogMetric, help: auditBacklogHelp, typ: "gauge"})
	m.declare(family{name: AuditBacklogAge, help: auditBacklogAgeHelp, typ: "gauge"})
	m.declare(family{name: AuditBacklogBytes, help: auditBacklogByteHelp, typ: "gauge"})
	m.declare(family{name: ShipBacklogMetric, help: shipBacklogHelp, typ: "gauge"}) // ship.go
	m.declare(family{name: ShipOldestMetric, help: shipOldestHelp, typ: "gauge"})
	m.preset()
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(m.reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("otel prometheus exporter: %w", err)
	}
	m.provider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	return m, nil
}

// preset creates the series whose labels are known in advance, at zero.
func (m *Metrics) preset() {
	for i, allow := range []bool{false, true} {
		for j, cached := range []string{"false", "true"} {
			m.byOutcome[i][j] = m.decisions.WithLabelValues(resultLabel(allow), cached)
		}
	}
	for _, outcome := range []string{"success", "failure"} {
		m.bundleActivations.WithLabelValues(outcome)
	}
	for _, scope := range []string{ScopeCaller, ScopeSubject} {
		m.denySpikeEvents.WithLabelValues(scope)
	}
}

func (m *Metrics) declare(f family) { m.declared = append(m.declared, f) }

func (m *Metrics) counter(name, help string) prometheus.Counter {
	m.declare(family{name, help, "counter"})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	m.declare(family{name, help, "counter"})
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	m.declare(family{name, help, "gauge"})
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(g)
	return g
}

func (m *Metrics) histogram(name, help string, buckets []float64) prometheus.Histogram {
	m.declare(family{name, help, "histogram"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	m.reg.MustRegister(h)
	return h
}

// Register adds a collector (cache and bundle collectors, collectors.go).
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// MeterProvider is the OpenTelemetry provider exported on /metrics.
func (m *Metrics) MeterProvider() metric.MeterProvider { return m.provider }

// Shutdown stops the MeterProvider.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// Decided counts one audited decision.
func (m *Metrics) Decided(allow, cached bool, elapsed time.Duration) {
	m.byOutcome[b2i(allow)][b2i(cached)].Inc()
	m.decisionDuration.Observe(elapsed.Seconds())
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func resultLabel(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

// Committed records one audit group commit of n records; err is its outcome.
func (m *Metrics) Committed(n int, err error) {
	if err != nil {
		m.auditWriteErrors.Inc()
		return
	}
	m.auditRecords.Add(float64(n))
	m.auditBatchSize.Observe(float64(n))
}

// Activated counts one bundle set activation.
func (m *Metrics) Activated(err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.bundleActivations.WithLabelValues(outcome).Inc()
}

// SetDenySpike sets pdp_deny_spike{scope,key}; a raised alarm also counts
// in pdp_deny_spike_events_total.
func (m *Metrics) SetDenySpike(scope, key string, on bool) {
	v := 0.0
	if on {
		v = 1
		m.denySpikeEvents.WithLabelValues(scope).Inc()
	}
	m.denySpike.WithLabelValues(scope, key).Set(v)
}

// Handler serves the registry in the Prometheus text format. A declared
// family with no series yet (no bundle active, no alarm ever raised) is
// served as its # HELP and # TYPE lines alone.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mfs, err := m.reg.Gather()
		if err != nil && len(mfs) == 0 {
			http.Error(w, "gather metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		var seen []string
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
				return
			}
			seen = append(seen, mf.GetName())
		}
		for _, f := range m.declared {
			if !slices.Contains(seen, f.name) {
				fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
			}
		}
	})
}

// Declared lists the names of the pdp_* metric families.
func (m *Metrics) Declared() []string {
	names := make([]string, len(m.declared))
	for i, f := range m.declared {
		names[i] = f.name
	}
	return names
}

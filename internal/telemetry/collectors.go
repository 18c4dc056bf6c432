package telemetry

import "github.com/prometheus/client_golang/prometheus"

// Names of the metrics read from other packages' state at scrape time.
const (
	CacheRequestsMetric  = "pdp_cache_requests_total"
	BundleRevisionMetric = "pdp_bundle_revision_info"
	AuditStagedMetric    = "pdp_audit_staged_records"
	cacheRequestsHelp    = "Decision cache lookups by tier (local, remote, all, none) and outcome (hit, miss, error, shared, bypass)."
	bundleRevisionHelp   = "1 for the active revision of each bundle."
	auditStagedHelp      = "Audit records committed to the stage and not yet moved into the trail's indexed table (grows when the mover falls behind or fails)."
)

// AuditStagedGauge exports pdp_audit_staged_records from staged, read at
// each scrape.
func AuditStagedGauge(staged func() int64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: AuditStagedMetric, Help: auditStagedHelp},
		func() float64 { return float64(staged()) })
}

// CacheCount is one series of pdp_cache_requests_total.
type CacheCount struct {
	Tier, Outcome string
	Value         uint64
}

// CacheCollector exports pdp_cache_requests_total from counts, read at
// each scrape (the cache keeps its own counters).
func CacheCollector(counts func() []CacheCount) prometheus.Collector {
	return &cacheCollector{counts: counts,
		desc: prometheus.NewDesc(CacheRequestsMetric, cacheRequestsHelp, []string{"tier", "outcome"}, nil)}
}

type cacheCollector struct {
	counts func() []CacheCount
	desc   *prometheus.Desc
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.counts() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n.Value), n.Tier, n.Outcome)
	}
}

// BundleRevision is one series of pdp_bundle_revision_info.
type BundleRevision struct{ Bundle, Revision string }

// BundleCollector exports pdp_bundle_revision_info from active, read at
// each scrape.
func BundleCollector(active func() []BundleRevision) prometheus.Collector {
	return &bundleCollector{active: active,
		desc: prometheus.NewDesc(BundleRevisionMetric, bundleRevisionHelp, []string{"bundle", "revision"}, nil)}
}

type bundleCollector struct {
	active func() []BundleRevision
	desc   *prometheus.Desc
}

func (c *bundleCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *bundleCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.active() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, 1, b.Bundle, b.Revision)
	}
}

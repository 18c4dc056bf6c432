package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of the metrics read from other packages' state at scrape time.
const (
	CacheRequestsMetric  = "pdp_cache_requests_total"
	BundleRevisionMetric = "pdp_bundle_revision_info"
	AuditBacklogMetric   = "pdp_audit_backlog_records"
	AuditBacklogAge      = "pdp_audit_backlog_oldest_seconds"
	AuditBacklogBytes    = "pdp_audit_backlog_bytes"
	cacheRequestsHelp    = "Decision cache lookups by tier (local, remote, all, none) and outcome (hit, miss, error, shared, bypass)."
	bundleRevisionHelp   = "1 for the active revision of each bundle."
	auditBacklogHelp     = "Audit records durable in the journal and not yet in the trail (grows when indexing or shipping falls behind or fails)."
	auditBacklogAgeHelp  = "Age of the oldest audit record waiting in the journal (0 when none)."
	auditBacklogByteHelp = "Bytes the audit journal holds on disk."
)

// AuditBacklog is what waits in the audit journal.
type AuditBacklog struct {
	Records int
	Oldest  time.Duration
	Bytes   int64
}

// AuditBacklogCollector exports the pdp_audit_backlog_* gauges from
// backlog, read at each scrape.
func AuditBacklogCollector(backlog func() AuditBacklog) prometheus.Collector {
	return &backlogCollector{backlog: backlog,
		records: prometheus.NewDesc(AuditBacklogMetric, auditBacklogHelp, nil, nil),
		age:     prometheus.NewDesc(AuditBacklogAge, auditBacklogAgeHelp, nil, nil),
		bytes:   prometheus.NewDesc(AuditBacklogBytes, auditBacklogByteHelp, nil, nil)}
}

type backlogCollector struct {
	backlog             func() AuditBacklog
	records, age, bytes *prometheus.Desc
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.age
	ch <- c.bytes
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.backlog()
	ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(b.Records))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, b.Oldest.Seconds())
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(b.Bytes))
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

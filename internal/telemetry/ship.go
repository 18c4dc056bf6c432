package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of the gauges of shipping the audit trail to the fleet's database.
const (
	ShipBacklogMetric = "pdp_audit_ship_backlog_records"
	ShipOldestMetric  = "pdp_audit_ship_oldest_seconds"
	shipBacklogHelp   = "Audit records durable on this replica and not yet shipped to the fleet's audit database (--audit-url)."
	shipOldestHelp    = "Age of the oldest audit record not yet shipped to the fleet's audit database (0 when none)."
)

// ShipBacklog is what a replica has not shipped yet.
type ShipBacklog struct {
	Records int64
	Oldest  time.Duration
}

// ShipBacklogCollector exports the pdp_audit_ship_* gauges from backlog,
// read at each scrape.
func ShipBacklogCollector(backlog func() ShipBacklog) prometheus.Collector {
	return &shipCollector{backlog: backlog,
		records: prometheus.NewDesc(ShipBacklogMetric, shipBacklogHelp, nil, nil),
		oldest:  prometheus.NewDesc(ShipOldestMetric, shipOldestHelp, nil, nil)}
}

type shipCollector struct {
	backlog         func() ShipBacklog
	records, oldest *prometheus.Desc
}

func (c *shipCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.oldest
}

func (c *shipCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.backlog()
	ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(b.Records))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, b.Oldest.Seconds())
}

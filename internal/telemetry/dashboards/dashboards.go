// Package dashboards embeds what operators import: a Grafana dashboard
// over the PDP's /metrics and Prometheus alerting rules. `pdp dashboard`
// and `pdp alerts` print them.
package dashboards

import (
	_ "embed"
	"regexp"
	"slices"
)

// Grafana is the Grafana dashboard JSON (import it, pick the Prometheus
// data source).
//
//go:embed pdp.json
var grafana []byte

// alertRules is the Prometheus rule file (YAML).
//
//go:embed alerts.yaml
var alertRules []byte

// Grafana returns the dashboard JSON.
func Grafana() []byte { return slices.Clone(grafana) }

// Alerts returns the Prometheus alerting rules YAML.
func Alerts() []byte { return slices.Clone(alertRules) }

// metricName matches the PDP's own and the gRPC server metric names.
var metricName = regexp.MustCompile(`\b(?:pdp|rpc_server)_[a-z0-9_]+\b`)

// Metrics returns the metric names a text (a dashboard, a rule file)
// queries, histogram series (_bucket, _sum, _count) included as written.
func Metrics(text []byte) []string {
	var out []string
	for _, m := range metricName.FindAll(text, -1) {
		if name := string(m); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

package telemetry_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pdp-project/pdp/internal/telemetry"
	"github.com/pdp-project/pdp/internal/telemetry/dashboards"
)

func scrape(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return string(body)
}

// families maps each "# TYPE name kind" line of a scrape to kind.
func families(text string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

func newMetrics(t *testing.T) *telemetry.Metrics {
	t.Helper()
	m, err := telemetry.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(t.Context()) })
	return m
}

// TestEveryMetricDeclaredAtStart: before any decision, bundle or alarm,
// every pdp_* family has its # HELP and # TYPE lines.
func TestEveryMetricDeclaredAtStart(t *testing.T) {
	m := newMetrics(t)
	text := scrape(t, m)
	fams := families(text)
	for _, name := range append(m.Declared(), telemetry.CacheRequestsMetric, telemetry.BundleRevisionMetric) {
		if fams[name] == "" || !strings.Contains(text, "# HELP "+name+" ") {
			t.Errorf("%s not declared at start", name)
		}
	}
	if !strings.Contains(text, `pdp_decisions_total{cached="true",result="deny"} 0`) {
		t.Errorf("decision series not preset at zero:\n%s", text)
	}
}

func TestMetricsCount(t *testing.T) {
	m := newMetrics(t)
	m.Decided(true, false, time.Millisecond)
	m.Decided(false, true, time.Millisecond)
	m.Committed(3, nil)
	m.Committed(2, errors.New("disk full"))
	m.Activated(nil)
	m.SetDenySpike(telemetry.ScopeSubject, "user:mallory", true)
	_ = m.Register(telemetry.CacheCollector(func() []telemetry.CacheCount { return []telemetry.CacheCount{{"local", "hit", 7}} }))
	_ = m.Register(telemetry.BundleCollector(func() []telemetry.BundleRevision { return []telemetry.BundleRevision{{"example", "r1"}} }))
	text := scrape(t, m)
	for _, want := range []string{
		`pdp_decisions_total{cached="false",result="allow"} 1`, `pdp_decisions_total{cached="true",result="deny"} 1`,
		`pdp_decision_duration_seconds_count 2`, `pdp_audit_records_total 3`, `pdp_audit_write_errors_total 1`,
		`pdp_audit_commit_batch_size_count 1`, `pdp_bundle_activations_total{outcome="success"} 1`,
		`pdp_deny_spike{key="user:mallory",scope="subject"} 1`, `pdp_deny_spike_events_total{scope="subject"} 1`,
		`pdp_cache_requests_total{outcome="hit",tier="local"} 7`, `pdp_bundle_revision_info{bundle="example",revision="r1"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// TestDashboardsQueryDeclaredMetrics: the dashboard is JSON, the rules are
// YAML, and every pdp_* metric they query is declared (the gRPC metrics
// are checked against a live server in test/e2e).
func TestDashboardsQueryDeclaredMetrics(t *testing.T) {
	var dash map[string]any
	if err := json.Unmarshal(dashboards.Grafana(), &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	if err := yaml.Unmarshal(dashboards.Alerts(), &rules); err != nil || len(rules.Groups) == 0 {
		t.Fatalf("alert rules YAML: %v", err)
	}
	fams := families(scrape(t, newMetrics(t)))
	fams[telemetry.CacheRequestsMetric], fams[telemetry.BundleRevisionMetric] = "counter", "gauge"
	for _, src := range [][]byte{dashboards.Grafana(), dashboards.Alerts()} {
		for _, name := range dashboards.Metrics(src) {
			if strings.HasPrefix(name, "pdp_") && !queryable(fams, name) {
				t.Errorf("%s is queried but not served on /metrics", name)
			}
		}
	}
}

// queryable: name is a family, or a series of a histogram family.
func queryable(fams map[string]string, name string) bool {
	if fams[name] != "" {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && fams[base] == "histogram" {
			return true
		}
	}
	return false
}

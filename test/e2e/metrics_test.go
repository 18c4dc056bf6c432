package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/telemetry/dashboards"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// officeHoursCheck is a request of subject at a fixed time in office hours
// (so it is cacheable and decided by role alone).
func officeHoursCheck(t *testing.T, subject, action string) *pdpv1.CheckRequest {
	t.Helper()
	req := cacheRequest(t, 0, "r")
	req.Subject.Id, req.Action.Name = subject, action
	return req
}

func checkN(t *testing.T, p *pdpProc, req *pdpv1.CheckRequest, n int, wantAllow bool) *pdpv1.CheckResponse {
	t.Helper()
	var resp *pdpv1.CheckResponse
	var err error
	for range n {
		if resp, err = p.client.Check(ctxT(t), req); err != nil || resp.Allow != wantAllow {
			t.Fatalf("Check %s/%s: %v allow=%v, want allow=%v", req.Subject.Id, req.Action.Name, err, resp.GetAllow(), wantAllow)
		}
	}
	return resp
}

// TestMetricsAfterKnownChecks scrapes /metrics of the binary after 3
// allowed and 2 denied Checks (the first of each a cache miss), then raises
// the deny-spike alarm with a burst, and checks that the dashboards query
// only metrics the server serves.
func TestMetricsAfterKnownChecks(t *testing.T) {
	p := startPDP(t, true, "--bundle", "bundles/example", "--deny-spike-min", "5", "--deny-spike-window", "2s")
	allowed := checkN(t, p, officeHoursCheck(t, "alice", "read"), 3, true)
	checkN(t, p, officeHoursCheck(t, "alice", "delete"), 2, false)
	// the server records an RPC's metric as the call ends, which may be just
	// after the client has its response
	rpcLine := `rpc_server_call_duration_seconds_count{rpc_method="pdp.v1.AuthorizationService/Check",rpc_response_status_code="OK",rpc_system_name="grpc"} 5`
	text := p.metrics(t)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(text, rpcLine) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		text = p.metrics(t)
	}
	for _, want := range []string{rpcLine,
		`pdp_decisions_total{cached="false",result="allow"} 1`, `pdp_decisions_total{cached="true",result="allow"} 2`,
		`pdp_decisions_total{cached="false",result="deny"} 1`, `pdp_decisions_total{cached="true",result="deny"} 1`,
		`pdp_decision_duration_seconds_count 5`, `pdp_audit_records_total 5`, `pdp_audit_write_errors_total 0`,
		`pdp_cache_requests_total{outcome="hit",tier="local"} 3`, `pdp_cache_requests_total{outcome="miss",tier="all"} 2`,
		`pdp_bundle_activations_total{outcome="success"} 1`, `revision="example-1"} 1`,
		"\npdp_audit_backlog_records ", "\npdp_audit_backlog_oldest_seconds ", "\npdp_audit_backlog_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	assertTraced(t, p, allowed.DecisionId)
	assertDenySpike(t, p)
	assertDashboardMetrics(t, families(p.metrics(t)))
	assertClientErrorsNotAlerted(t, p)
}

// assertClientErrorsNotAlerted: a caller's mistake (InvalidArgument) is
// served under a status label that the PDPGRPCErrors rule leaves out.
func assertClientErrorsNotAlerted(t *testing.T, p *pdpProc) {
	t.Helper()
	if _, err := p.client.Check(ctxT(t), &pdpv1.CheckRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("empty Check: %v, want InvalidArgument", err)
	}
	label := regexp.MustCompile(`rpc_response_status_code="([A-Za-z_]+)"`)
	var served string
	for deadline := time.Now().Add(5 * time.Second); served == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range label.FindAllStringSubmatch(p.metrics(t), -1) {
			if m[1] != "OK" {
				served = m[1]
			}
		}
	}
	excluded := regexp.MustCompile(`rpc_response_status_code!~"([^"]+)"`).FindSubmatch(dashboards.Alerts())
	if served == "" || excluded == nil || !regexp.MustCompile("^(?:"+string(excluded[1])+")$").MatchString(served) {
		t.Errorf("InvalidArgument is served as %q; the PDPGRPCErrors rule excludes %q", served, excluded)
	}
}

func (p *pdpProc) metrics(t *testing.T) string {
	t.Helper()
	code, body := p.get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	return string(body)
}

// assertTraced: the decision's audit record and its debug log line carry
// the same trace id, though no OTEL_* variable is set.
func assertTraced(t *testing.T, p *pdpProc, decisionID string) {
	t.Helper()
	var traceID string
	if err := p.auditDB(t).QueryRow(`SELECT trace_id FROM decisions WHERE decision_id = ?`, decisionID).Scan(&traceID); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(traceID) {
		t.Fatalf("audit trace_id %q", traceID)
	}
	line := `"decision_id":"` + decisionID + `","trace_id":"` + traceID + `"`
	if !strings.Contains(p.log.String(), line) {
		t.Errorf("no debug decision line with %s", line)
	}
}

// assertDenySpike: a subject allowed for a window and then denied in a
// burst raises one alarm: a warning, the gauge and an audit record.
func assertDenySpike(t *testing.T, p *pdpProc) {
	t.Helper()
	checkN(t, p, officeHoursCheck(t, "mallory", "read"), 6, true)
	time.Sleep(2100 * time.Millisecond)
	checkN(t, p, officeHoursCheck(t, "mallory", "delete"), 6, false)
	if text := p.metrics(t); !strings.Contains(text, `pdp_deny_spike{key="user:mallory",scope="subject"} 1`) {
		t.Errorf("no subject alarm on /metrics:\n%s", grepLines(text, "pdp_deny_spike"))
	}
	if n := strings.Count(p.log.String(), `"msg":"deny spike","scope":"subject","key":"user:mallory"`); n != 1 {
		t.Errorf("%d deny spike warnings for user:mallory, want 1", n)
	}
	var n int
	q := `SELECT count(*) FROM decisions WHERE action = 'pdp.deny_spike' AND subject_id = 'user:mallory' AND reasons = '["deny_spike_raised"]'`
	if err := p.auditDB(t).QueryRow(q).Scan(&n); err != nil || n != 1 {
		t.Errorf("deny spike audit records: %d (%v), want 1", n, err)
	}
}

// assertDashboardMetrics: every metric that `pdp dashboard` and `pdp
// alerts` query is served.
func assertDashboardMetrics(t *testing.T, fams map[string]string) {
	t.Helper()
	for _, cmd := range []string{"dashboard", "alerts"} {
		out, err := exec.Command(pdpBin, cmd).Output()
		if err != nil || len(out) == 0 {
			t.Fatalf("pdp %s: %v", cmd, err)
		}
		names := dashboards.Metrics(out)
		if len(names) < 5 {
			t.Fatalf("pdp %s queries only %v", cmd, names)
		}
		for _, name := range names {
			if !served(fams, name) {
				t.Errorf("pdp %s queries %s, which /metrics does not serve", cmd, name)
			}
		}
	}
}

func families(text string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

func served(fams map[string]string, name string) bool {
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

func grepLines(text, substr string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

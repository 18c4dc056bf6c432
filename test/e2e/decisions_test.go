package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// TestExampleDecisionCases runs every example case through the binary, finds
// each decision in the audit table, and evaluates the audited input with
// OPA's rego package directly: the PDP must answer exactly as OPA does.
func TestExampleDecisionCases(t *testing.T) {
	p := startPDP(t, true)
	db := p.auditDB(t)
	opa := prepareOPA(t, filepath.Join(repoRoot(), "bundles", "example"), "data.authz.decision")
	for _, c := range loadCases(t, "policies/example.decisions.yaml") {
		t.Run(c.Name, func(t *testing.T) {
			resp, err := p.client.Check(ctxT(t), c.request(t))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			assertExpected(t, c, resp)
			input := assertAudited(t, db, resp)
			assertSameAsOPA(t, opa, input, resp)
		})
	}
}

func assertExpected(t *testing.T, c decisionCase, resp *pdpv1.CheckResponse) {
	t.Helper()
	if resp.GetAllow() != c.Expect.Allow {
		t.Errorf("allow = %v, want %v (reasons %v)", resp.GetAllow(), c.Expect.Allow, resp.GetReasons())
	}
	if c.Expect.Reasons != nil && !jsonEqual(t, resp.GetReasons(), c.Expect.Reasons) {
		t.Errorf("reasons = %v, want %v", resp.GetReasons(), c.Expect.Reasons)
	}
	if c.Expect.Obligations != nil && !jsonEqual(t, resp.GetObligations().AsMap(), c.Expect.Obligations) {
		t.Errorf("obligations = %v, want %v", resp.GetObligations().AsMap(), c.Expect.Obligations)
	}
	if resp.GetBundleRevision() == "" || resp.GetDecisionId() == "" {
		t.Errorf("bundle_revision %q and decision_id %q must be set", resp.GetBundleRevision(), resp.GetDecisionId())
	}
}

// assertAudited finds the decision's row and returns the input it recorded.
func assertAudited(t *testing.T, db *sql.DB, resp *pdpv1.CheckResponse) map[string]any {
	t.Helper()
	var allow bool
	var rev, input string
	waitFor(t, 15*time.Second, func() bool { // the trail's table takes it within a second or two
		row := db.QueryRow(`SELECT allow, bundle_revision, input FROM decisions WHERE decision_id = ?`, resp.GetDecisionId())
		return row.Scan(&allow, &rev, &input) == nil
	})
	if allow != resp.GetAllow() || rev != resp.GetBundleRevision() {
		t.Errorf("audited allow=%v rev=%q, answered allow=%v rev=%q", allow, rev, resp.GetAllow(), resp.GetBundleRevision())
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(input), &doc); err != nil {
		t.Fatalf("audited input is not JSON: %v", err)
	}
	return doc
}

func prepareOPA(t *testing.T, bundleDir, query string) rego.PreparedEvalQuery {
	t.Helper()
	pq, err := rego.New(rego.Query(query), rego.LoadBundle(bundleDir)).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("prepare OPA query: %v", err)
	}
	return pq
}

func assertSameAsOPA(t *testing.T, pq rego.PreparedEvalQuery, input map[string]any, resp *pdpv1.CheckResponse) {
	t.Helper()
	rs, err := pq.Eval(context.Background(), rego.EvalInput(input))
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("OPA eval: %v (results %v)", err, rs)
	}
	obj, _ := rs[0].Expressions[0].Value.(map[string]any)
	want := map[string]any{"allow": obj["allow"], "reasons": orEmptyList(obj["reasons"]), "obligations": orEmptyObj(obj["obligations"])}
	got := map[string]any{"allow": resp.GetAllow(), "reasons": orEmptyList(resp.GetReasons()), "obligations": orEmptyObj(resp.GetObligations().AsMap())}
	if !jsonEqual(t, got, want) {
		t.Errorf("PDP answered %s; OPA answers %s", mustJSON(t, got), mustJSON(t, want))
	}
}

func orEmptyList(v any) any {
	switch l := v.(type) {
	case nil:
		return []any{}
	case []string:
		if len(l) == 0 {
			return []any{}
		}
	}
	return v
}

func orEmptyObj(v any) any {
	if m, ok := v.(map[string]any); !ok || len(m) == 0 {
		return map[string]any{}
	}
	return v
}

// TestBatchItemsAuditedOneByOne checks that every item of a CheckBatch is its
// own row, in order, with the allow that was answered.
func TestBatchItemsAuditedOneByOne(t *testing.T) {
	p := startPDP(t, true)
	db := p.auditDB(t)
	cases := loadCases(t, "policies/example.decisions.yaml")
	batch := &pdpv1.CheckBatchRequest{}
	for _, c := range cases {
		batch.Checks = append(batch.Checks, c.request(t))
	}
	resp, err := p.client.CheckBatch(ctxT(t), batch)
	if err != nil {
		t.Fatalf("CheckBatch: %v", err)
	}
	if len(resp.GetResults()) != len(cases) {
		t.Fatalf("%d results for %d checks", len(resp.GetResults()), len(cases))
	}
	seen := map[string]bool{}
	for i, r := range resp.GetResults() {
		if r.GetAllow() != cases[i].Expect.Allow {
			t.Errorf("item %d (%s): allow = %v, want %v", i, cases[i].Name, r.GetAllow(), cases[i].Expect.Allow)
		}
		if seen[r.GetDecisionId()] {
			t.Errorf("item %d reuses decision id %s", i, r.GetDecisionId())
		}
		seen[r.GetDecisionId()] = true
		assertAudited(t, db, r)
	}
}

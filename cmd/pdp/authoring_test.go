package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/pdp"
)

const authoringData = "../../internal/authoring/testdata"

// runTool runs the command in-process and returns its exit code and output.
func runTool(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestAuthoringCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"test example with coverage", []string{"test", "--coverage", "--threshold", "90", "../../policies"}, 0,
			[]string{"ok  \t../../policies", "coverage: 100.0% of policy lines", "total"}},
		{"test failing Rego test", []string{"test", authoringData + "/test/failing-rego"}, 1,
			[]string{"--- FAIL: data.authz_test.test_viewer_allowed"}},
		{"test failing case", []string{"test", authoringData + "/test/failing-case", "-v"}, 1,
			[]string{"--- FAIL: cases.decisions.yaml/viewer is allowed", "--- PASS: cases.decisions.yaml/admin is allowed"}},
		{"test bad decision cases", []string{"test", authoringData + "/test/bad-cases"}, 1,
			[]string{"[setup failed]\n    " + authoringData + "/test/bad-cases/cases.decisions.yaml:4: case 0: expect.alow: unknown field",
				"\n    " + authoringData + "/test/bad-cases/cases.decisions.yaml:4: case 0: expect.allow: required",
				"\n    " + authoringData + `/test/bad-cases/cases.decisions.yaml:7: case 1: expect.allow: want true or false, got "no"`}},
		{"test missing path", []string{"test", "no/such/dir"}, 2, nil},
		{"test bad threshold", []string{"test", "--threshold", "101", "../../policies"}, 2, nil},
		{"eval explain", []string{"eval", "--bundle", "../../bundles/example", "--input", authoringData + "/eval/deny.json", "--explain"}, 0,
			[]string{`"allow": false`, `"bundle_revision": "example-1"`, `"entrypoint": "authz/decision"`, "deny by authz/decision", "reasons:"}},
		{"eval explain a deny for want of grants", []string{"eval", "--bundle", "../../bundles/example", "--input", authoringData + "/eval/no-grant.json", "--explain"}, 0,
			[]string{"could have granted, and the first condition that failed:\n  data.authz.decision  (../../bundles/example/authz/decision.rego:40)\n    failed: count(grants) > 0",
				"failed: role_permits(role)  (../../bundles/example/authz/rbac.rego:39)"}},
		{"eval missing input", []string{"eval", "--bundle", "../../bundles/example", "--input", "nope.json"}, 2, nil},
		{"eval missing bundle", []string{"eval", "--bundle", "nope", "--input", authoringData + "/eval/deny.json"}, 2, nil},
		{"lint example", []string{"lint", "../../policies/authz"}, 0, nil},
		{"lint planted", []string{"lint", authoringData + "/lint/default-allow"}, 1,
			[]string{"authz/policy.rego:3: default-allow [error]"}},
		{"lint warning only", []string{"lint", authoringData + "/lint/no-reason"}, 0, []string{"deny-without-reason [warning]"}},
		{"lint parse error", []string{"lint", authoringData + "/lint/parse-error"}, 1,
			[]string{authoringData + "/lint/parse-error/authz/policy.rego:7: opa-parse [error] unexpected } token"}},
		{"lint one file", []string{"lint", authoringData + "/lint/default-allow/authz/policy.rego"}, 1,
			[]string{authoringData + "/lint/default-allow/authz/policy.rego:3: default-allow [error]"}},
		{"lint one clean file", []string{"lint", "../../policies/authz/decision.rego"}, 0, nil},
		{"eval malformed input", []string{"eval", "--bundle", "../../bundles/example", "--input", "testdata/malformed.json"}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runTool(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestReplayCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	changed := recordTwo(t, db)
	base := []string{"replay", "--bundle", authoringData + "/replay/candidate", "--audit-db", db}
	code, out, _ := runTool(base...)
	if code != 0 || !strings.Contains(out, "2 records, 2 replayed, 1 changed") || !strings.Contains(out, changed) {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	code, out, _ = runTool(append(base, "--format", "json", "--fail-on-change")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], `"decision_id":"`+changed+`"`) ||
		!strings.Contains(lines[0], `"old":{"allow":true`) || !strings.Contains(lines[0], `"new":{"allow":false`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	if code, _, _ := runTool(append(base, "--action", "read", "--fail-on-change")...); code != 0 {
		t.Errorf("filtered to unchanged reads: exit %d", code)
	}
}

// recordTwo records an editor's share (which the candidate denies) and a
// viewer's read; it returns the id of the share.
func recordTwo(t *testing.T, path string) string {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := authoring.Open(ctx, "../../bundles/example")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var recs []pdp.Record
	for i, r := range []string{
		`{"subject": {"id": "ed", "roles": ["editor"]}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "share"}}`,
		`{"subject": {"id": "vi", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d2"}, "action": {"name": "read"}}`,
	} {
		req, err := authoring.RequestFromJSON([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		q := authoring.Query(req, at)
		res, err := eng.Evaluate(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, pdp.Record{DecisionID: []string{"share-1", "read-1"}[i], Time: at, SubjectID: req.Subject.ID,
			ResourceType: req.Resource.Type, Action: req.Action.Name, Allow: res.Allow, Reasons: res.Reasons,
			Obligations: res.Obligations, Input: q.Input, BundleRevision: res.BundleRevision, Entrypoint: res.Entrypoint})
	}
	if err := store.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	return "share-1"
}

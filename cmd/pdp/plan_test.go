package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planBundle: admins read every document, others those they own; the
// entrypoint authz/named matches names by a pattern.
const planBundle = "testdata/plan"

// planInput writes a PlanResourcesRequest in JSON and returns its path.
func planInput(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	alicePlan = `{"subject": {"id": "alice"}, "resource_type": "document", "action": {"name": "read"}}`
	adminPlan = `{"subject": {"id": "root", "roles": ["admin"]}, "resource_type": "document", "action": {"name": "read"}}`
)

func TestPlanCommand(t *testing.T) {
	tests := []struct {
		name  string
		input string
		flags []string
		kind  string
		sql   []string // substrings of sql; nil: no sql printed
		args  string   // sql_args as JSON
	}{
		{"conditional", alicePlan, nil, "conditional", nil, ""},
		{"conditional in sqlite", alicePlan, []string{"--sql", "sqlite"}, "conditional", []string{`"owner"`, "?"}, `["alice"]`},
		{"conditional in postgres", alicePlan, []string{"--sql", "postgres"}, "conditional", []string{`"owner"`, "$1"}, `["alice"]`},
		{"column override", alicePlan, []string{"--sql", "postgres", "--column", "resource.attributes.owner=owned_by"},
			"conditional", []string{`"owned_by"`, "$1"}, `["alice"]`},
		{"dialect from the input", strings.Replace(alicePlan, "{", `{"sql_dialect": "sqlite", `, 1), nil,
			"conditional", []string{`"owner"`, "?"}, `["alice"]`},
		{"always allowed", adminPlan, []string{"--sql", "postgres"}, "always_allowed", []string{"TRUE"}, `[]`},
		{"always allowed in sqlite", adminPlan, []string{"--sql", "sqlite"}, "always_allowed", []string{"1"}, `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"plan", "--bundle", planBundle, "--input", planInput(t, tc.input)}, tc.flags...)
			code, out, errOut := runWith("", nil, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got struct {
				Kind           string          `json:"kind"`
				Condition      json.RawMessage `json:"condition"`
				SQL            *string         `json:"sql"`
				SQLArgs        json.RawMessage `json:"sql_args"`
				BundleRevision string          `json:"bundle_revision"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if got.Kind != tc.kind || got.BundleRevision != "plan-1" || (got.Condition != nil) != (tc.kind == "conditional") {
				t.Fatalf("plan %s", out)
			}
			if (got.SQL != nil) != (tc.sql != nil) || (tc.sql != nil && compact(t, got.SQLArgs) != tc.args) {
				t.Fatalf("sql %v args %s, want %q %s", got.SQL, got.SQLArgs, tc.sql, tc.args)
			}
			for _, s := range tc.sql {
				if !strings.Contains(*got.SQL, s) {
					t.Errorf("sql %s lacks %s", *got.SQL, s)
				}
			}
		})
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPlanCommandErrors: mistakes in the command line or the input exit 2
// with one line naming what is wrong; a plan the policy cannot express
// exits 1 with the refusal.
func TestPlanCommandErrors(t *testing.T) {
	good := planInput(t, alicePlan)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no input", []string{"--bundle", planBundle}, exitUsage, "pdp: usage: pdp plan --bundle PATH --input FILE"},
		{"extra argument", []string{"--bundle", planBundle, "--input", good, "x"}, exitUsage, "pdp: usage: pdp plan"},
		{"missing input file", []string{"--bundle", planBundle, "--input", "no/such.json"}, exitUsage, "pdp: --input no/such.json: no such file"},
		{"missing bundle", []string{"--bundle", "no/such/bundle", "--input", good}, exitUsage, "pdp: --bundle no/such/bundle: no such file"},
		{"bad dialect", []string{"--bundle", planBundle, "--input", good, "--sql", "mysql"}, exitUsage, `pdp: --sql "mysql": want sqlite or postgres`},
		{"bad column flag", []string{"--bundle", planBundle, "--input", good, "--column", "owner"}, exitUsage, `pdp: --column: "owner" is invalid: want FIELD=COLUMN`},
		{"column of no resource field", []string{"--bundle", planBundle, "--input", good, "--sql", "sqlite", "--column", "subject.id=x"},
			exitUsage, `pdp: columns["subject.id"]: is not a resource field`},
		{"column without dialect", []string{"--bundle", planBundle, "--input", good, "--column", "resource.id=x"},
			exitUsage, "pdp: columns: are given without sql_dialect"},
		{"not JSON", []string{"--bundle", planBundle, "--input", planInput(t, `{"subject": `)}, exitUsage, "not a PlanResourcesRequest in JSON"},
		{"a CheckRequest", []string{"--bundle", planBundle, "--input", "testdata/request.json"}, exitUsage, "not a PlanResourcesRequest in JSON"},
		{"duplicate key", []string{"--bundle", planBundle, "--input", planInput(t, `{"resource_type": "a", "resource_type": "b"}`)},
			exitUsage, "resource_type: "},
		{"no resource type", []string{"--bundle", planBundle, "--input", planInput(t, `{"subject": {"id": "a"}, "action": {"name": "read"}}`)},
			exitUsage, "resource_type: is required"},
		{"no subject", []string{"--bundle", planBundle, "--input", planInput(t, `{"resource_type": "d", "action": {"name": "read"}}`)},
			exitUsage, "subject.id: is required"},
		{"undeclared entrypoint", []string{"--bundle", planBundle, "--input",
			planInput(t, strings.Replace(alicePlan, "{", `{"policy": "authz/other", `, 1))}, exitUsage, "policy"},
		{"refused plan", []string{"--bundle", planBundle, "--input",
			planInput(t, strings.Replace(alicePlan, "{", `{"policy": "authz/named", `, 1))}, exitFailure, "regex.match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith("", nil, append([]string{"plan"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d with %q", code, errOut, tc.code, tc.want)
			}
			if out != "" {
				t.Fatalf("stdout on a failure: %s", out)
			}
		})
	}
}

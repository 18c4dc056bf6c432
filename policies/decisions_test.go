package policies_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"gopkg.in/yaml.v3"
)

// casesFile holds the decision cases; the product's engine is tested end to
// end on the same file.
const casesFile = "example.decisions.yaml"

type decisionCase struct {
	Name   string         `yaml:"name"`
	Input  map[string]any `yaml:"input"` // a CheckRequest, protojson field names
	Expect expectation    `yaml:"expect"`
}

// expectation: allow is required; reasons and obligations are compared
// exactly when present.
type expectation struct {
	Allow       *bool           `yaml:"allow"`
	Reasons     *[]string       `yaml:"reasons"`
	Obligations *map[string]any `yaml:"obligations"`
}

func TestDecisionCases(t *testing.T) {
	cases := loadCases(t)
	query := prepareBundle(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			input := toInput(t, tc.Input)
			rs, err := query.Eval(context.Background(), rego.EvalInput(input))
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if len(rs) != 1 || len(rs[0].Expressions) != 1 {
				t.Fatalf("decision is undefined or ambiguous: %v", rs)
			}
			checkDecision(t, rs[0].Expressions[0].Value, tc.Expect)
		})
	}
}

func loadCases(t *testing.T) []decisionCase {
	t.Helper()
	f, err := os.Open(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var file struct {
		Cases []decisionCase `yaml:"cases"`
	}
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", casesFile, err)
	}
	if len(file.Cases) == 0 {
		t.Fatalf("%s: no cases", casesFile)
	}
	seen := map[string]bool{}
	for i, c := range file.Cases {
		if c.Name == "" || seen[c.Name] || c.Expect.Allow == nil {
			t.Fatalf("%s: case %d (%q): needs a unique name and expect.allow", casesFile, i, c.Name)
		}
		seen[c.Name] = true
	}
	return file.Cases
}

// prepareBundle loads bundles/example as the PDP does and prepares its
// manifest's entrypoint.
func prepareBundle(t *testing.T) rego.PreparedEvalQuery {
	t.Helper()
	b, err := loader.NewFileLoader().AsBundle(bundleDir)
	if err != nil {
		t.Fatalf("load bundle: %v", err)
	}
	entrypoint, _ := b.Manifest.Metadata["entrypoint"].(string)
	if entrypoint != "authz/decision" {
		t.Fatalf("manifest entrypoint = %q, want authz/decision", entrypoint)
	}
	query, err := rego.New(
		rego.ParsedBundle("example", b),
		rego.Query("data."+strings.ReplaceAll(entrypoint, "/", ".")),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("prepare %s: %v", entrypoint, err)
	}
	return query
}

// toInput maps a CheckRequest to the input document Rego sees, as the
// PDP does: numbers become doubles (protobuf Struct), missing strings are "",
// missing roles [], missing attribute objects {}, and no caller is {}.
func toInput(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(mustJSON(t, req), &r); err != nil {
		t.Fatal(err)
	}
	if p, _ := r["policy"].(string); p != "" && p != "authz/decision" {
		t.Fatalf("policy %q: this test evaluates authz/decision only", p)
	}
	env := object(r["environment"])
	if _, ok := env["time"]; !ok {
		t.Fatal("input.environment.time is required, so that the case is deterministic")
	}
	subject, resource, action := object(r["subject"]), object(r["resource"]), object(r["action"])
	return map[string]any{
		"subject": map[string]any{
			"type": str(subject["type"]), "id": str(subject["id"]),
			"roles": list(subject["roles"]), "attributes": object(subject["attributes"]),
		},
		"resource": map[string]any{
			"type": str(resource["type"]), "id": str(resource["id"]),
			"attributes": object(resource["attributes"]),
		},
		"action":      map[string]any{"name": str(action["name"]), "attributes": object(action["attributes"])},
		"environment": env,
		"caller":      map[string]any{},
	}
}

func object(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// checkDecision checks the shape every decision must have, then the
// expected values.
func checkDecision(t *testing.T, got any, want expectation) {
	t.Helper()
	d, ok := got.(map[string]any)
	allow, okAllow := d["allow"].(bool)
	reasons, okReasons := d["reasons"].([]any)
	obligations, okObligations := d["obligations"].(map[string]any)
	if !ok || !okAllow || !okReasons || !okObligations {
		t.Fatalf("decision %v: want {allow: bool, reasons: [...], obligations: {...}}", got)
	}
	if allow != *want.Allow {
		t.Errorf("allow = %v, want %v (reasons %v)", allow, *want.Allow, reasons)
	}
	if want.Reasons != nil && !sameJSON(t, reasons, *want.Reasons) {
		t.Errorf("reasons = %v, want %v", reasons, *want.Reasons)
	}
	if want.Obligations != nil && !sameJSON(t, obligations, *want.Obligations) {
		t.Errorf("obligations = %v, want %v", obligations, *want.Obligations)
	}
}

// sameJSON compares two values as JSON documents, so that 1, 1.0 and
// json.Number("1") are equal.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(mustJSON(t, a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustJSON(t, b), &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

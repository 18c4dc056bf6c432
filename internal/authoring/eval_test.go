package authoring_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/authoring"
)

const exampleBundle = "../../bundles/example"

func TestEvalExplains(t *testing.T) {
	ctx := context.Background()
	eng, err := authoring.Open(ctx, exampleBundle)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		allow bool
		want  []string
	}{
		{"allow names the grant and the obligation", "testdata/eval/allow.json", true, []string{
			"allow by authz/decision",
			"authz/decision.rego:40 decision = {\"allow\": true",
			`authz/rbac.rego:37 grants contains "role:editor grants document:write"`,
			`obligations.notify_owner = "bob"`,
		}},
		{"deny names every denial", "testdata/eval/deny.json", false, []string{
			"deny by authz/decision",
			`insufficient_clearance  <- `,
			`authz/abac.rego:83 denials contains "outside_office_hours"`,
			`untrusted_network  <- `,
			`clearance = 1`,
			`role_permits = true`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			res, err := authoring.Eval(ctx, eng, data, true, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if res.Allow != tc.allow || res.BundleRevision != "example-1" || res.Entrypoint != "authz/decision" {
				t.Fatalf("got %+v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Explanation, w) {
					t.Errorf("explanation lacks %q:\n%s", w, res.Explanation)
				}
			}
		})
	}
}

func TestEvalWithoutExplainHasNoExplanation(t *testing.T) {
	ctx := context.Background()
	eng, err := authoring.Open(ctx, exampleBundle)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/eval/allow.json")
	res, err := authoring.Eval(ctx, eng, data, false, time.Now())
	if err != nil || res.Explanation != "" || !res.Allow {
		t.Fatalf("got %+v, %v", res, err)
	}
}

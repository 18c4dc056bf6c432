package authoring_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/authoring"
)

// TestFails: a deny for want of grants names, for the rule that could have
// granted, the first condition that failed and, under it, each grant with
// its own first failed condition; a deny by denials stops at the
// condition.
func TestFails(t *testing.T) {
	tests := []struct {
		input string
		want  string
	}{
		{"testdata/eval/no-grant.json", "could have granted, and the first condition that failed:\n" +
			"  data.authz.decision  (../../bundles/example/authz/decision.rego:40)\n" +
			"    failed: count(grants) > 0  (../../bundles/example/authz/decision.rego:45)\n" +
			"      data.authz.grants  (../../bundles/example/authz/abac.rego:56)\n" +
			"        failed: is_owner  (../../bundles/example/authz/abac.rego:57)\n" +
			"      data.authz.grants  (../../bundles/example/authz/abac.rego:62)\n" +
			"        skipped: a condition on the input cannot match (OPA's rule index)\n" +
			"      data.authz.grants  (../../bundles/example/authz/rbac.rego:37)\n" +
			"        failed: role_permits(role)  (../../bundles/example/authz/rbac.rego:39)\n"},
		{"testdata/eval/deny.json", "could have granted, and the first condition that failed:\n" +
			"  data.authz.decision  (../../bundles/example/authz/decision.rego:40)\n" +
			"    failed: count(denials) == 0  (../../bundles/example/authz/decision.rego:46)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			data, err := os.ReadFile(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			req, err := authoring.RequestFromJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			fails, err := authoring.Fails(context.Background(), "../../bundles/example", "authz/decision", authoring.Query(req, time.Now()).Input)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			authoring.WriteFails(&out, fails)
			if out.String() != tc.want {
				t.Errorf("explanation:\n%s\nwant:\n%s", out.String(), tc.want)
			}
		})
	}
}

// TestFailsOfAnAllow: nothing to explain when the decision allows.
func TestFailsOfAnAllow(t *testing.T) {
	data, err := os.ReadFile("testdata/eval/allow.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := authoring.RequestFromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	fails, err := authoring.Fails(context.Background(), "../../bundles/example", "authz/decision", authoring.Query(req, time.Now()).Input)
	if err != nil || len(fails) != 0 {
		t.Errorf("Fails = %+v, %v; want none", fails, err)
	}
}

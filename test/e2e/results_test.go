package e2e

import (
	"path/filepath"
	"testing"
)

// TestPolicyResultKinds: every kind of entrypoint result (boolean, object,
// undefined, anything else, evaluation error) gives its decision.
func TestPolicyResultKinds(t *testing.T) {
	tests := []struct {
		name, body string
		allow      bool
		reason     string
	}{
		{"boolean true", "decision := true", true, ""},
		{"boolean false", "decision := false", false, ""},
		{"object allow", `decision := {"allow": true, "reasons": ["ok"], "obligations": {"log": true}}`, true, "ok"},
		{"undefined", `decision := true if input.subject.id == "nobody"`, false, "undefined"},
		{"string result", `decision := "yes"`, false, "invalid_result"},
		{"allow not boolean", `decision := {"allow": "true"}`, false, "invalid_result"},
		{"object without allow", `decision := {"reasons": ["x"]}`, false, "invalid_result"},
		{"builtin error is undefined, as in OPA", "decision := x if { x := to_number(\"not a number\") }", false, "undefined"},
		{"function conflict", "f(_) := 1\n\nf(_) := 2\n\ndecision := f(1) == 1", false, "evaluation_error"},
		{"conflict error", "decision := true if input.subject.id\ndecision := false if input.action.name", false, "evaluation_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "kinds")
			writeFile(t, filepath.Join(dir, ".manifest"), `{"revision": "kinds-1", "roots": ["authz"]}`)
			writeFile(t, filepath.Join(dir, "authz.rego"), "package authz\n\n"+tc.body+"\n")
			p := startPDP(t, true, "--bundle", dir)
			resp, err := p.client.Check(ctxT(t), validRequest())
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if resp.GetAllow() != tc.allow {
				t.Errorf("allow = %v, want %v", resp.GetAllow(), tc.allow)
			}
			if tc.reason != "" && (len(resp.GetReasons()) == 0 || resp.GetReasons()[0] != tc.reason) {
				t.Errorf("reasons = %v, want [%s]", resp.GetReasons(), tc.reason)
			}
			if resp.GetBundleRevision() != "kinds-1" {
				t.Errorf("bundle_revision = %q", resp.GetBundleRevision())
			}
		})
	}
}

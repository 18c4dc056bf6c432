package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/config"
)

// TestAuthZENReasonsForPolicyAuthors: an AuthZEN answer always names its
// decision (context.decision_id); its reasons are shown to the callers the
// system policy lets see explanations (--policy-authors), to no one else.
func TestAuthZENReasonsForPolicyAuthors(t *testing.T) {
	tests := []struct {
		name    string
		authors []string
		reasons bool
	}{
		{"not a policy author", nil, false},
		{"policy author", []string{"local"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := startWith(t, func(c *config.Config) { c.Authz.PolicyAuthors = tc.authors }, nil)
			defer r.stop(t)
			resp, err := http.Post("http://"+r.app.HTTPAddr()+"/access/v1/evaluation", "application/json", strings.NewReader(evaluation))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				Decision bool
				Context  struct {
					DecisionID string   `json:"decision_id"`
					Reasons    []string `json:"reasons"`
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if out.Context.DecisionID == "" {
				t.Error("no context.decision_id")
			}
			if shown := len(out.Context.Reasons) > 0; shown != tc.reasons {
				t.Errorf("reasons %q shown: %v, want %v", out.Context.Reasons, shown, tc.reasons)
			}
		})
	}
}

package decision_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
)

type allowAll struct{}

func (allowAll) Evaluate(_ context.Context, q pdp.Query) (pdp.Result, error) {
	return pdp.Result{Allow: true, BundleRevision: "r1", Entrypoint: "authz/decision"}, nil
}

type records struct {
	mu   sync.Mutex
	recs []pdp.Record
}

func (r *records) Write(_ context.Context, recs []pdp.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, recs...)
	return nil
}

type reasonErr string

func (e reasonErr) Error() string  { return "cause: " + string(e) }
func (e reasonErr) Reason() string { return string(e) }

// tokens verifies "good" (sub alice) and refuses "revoked".
type tokens struct{}

func (tokens) Verify(_ context.Context, token string) (map[string]any, error) {
	switch token {
	case "good":
		return map[string]any{"sub": "alice", "dept": "eng"}, nil
	case "nosub":
		return map[string]any{"dept": "eng"}, nil
	case "revoked":
		return nil, reasonErr(pdp.ReasonTokenRevoked)
	}
	return nil, reasonErr(pdp.ReasonInvalidToken)
}

func TestSubjectToken(t *testing.T) {
	tests := []struct {
		name, id, token string
		verifier        decision.TokenVerifier
		allow           bool
		reason, subject string
	}{
		{"no token", "bob", "", tokens{}, true, "", "bob"},
		{"token fills id", "", "good", tokens{}, true, "", "alice"},
		{"token and matching id", "alice", "good", tokens{}, true, "", "alice"},
		{"token and other id", "bob", "good", tokens{}, false, pdp.ReasonInvalidToken, "bob"},
		{"token without sub", "", "nosub", tokens{}, false, pdp.ReasonInvalidToken, ""},
		{"invalid token", "", "bad", tokens{}, false, pdp.ReasonInvalidToken, ""},
		{"revoked token", "", "revoked", tokens{}, false, pdp.ReasonTokenRevoked, ""},
		{"no verifier", "", "good", nil, false, pdp.ReasonTokenUnverifiable, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &records{}
			svc := decision.New(decision.Options{Evaluator: allowAll{}, Recorder: rec, Tokens: tc.verifier})
			req := pdp.Request{Subject: pdp.Subject{ID: tc.id, Token: tc.token}, Resource: pdp.Resource{Type: "doc"}, Action: pdp.Action{Name: "read"}}
			d, err := svc.Check(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allow || tc.reason != "" && (len(d.Reasons) != 1 || d.Reasons[0] != tc.reason) {
				t.Fatalf("decision = %+v; want allow=%v reason %q", d.Result, tc.allow, tc.reason)
			}
			r := rec.recs[0]
			if r.SubjectID != tc.subject || r.Allow != tc.allow {
				t.Fatalf("record subject %q allow %v", r.SubjectID, r.Allow)
			}
			claims, _ := r.Input["subject"].(map[string]any)["claims"].(map[string]any)
			if (tc.token != "" && tc.allow) != (claims["dept"] == "eng") {
				t.Fatalf("input.subject.claims = %v", claims)
			}
			if tc.reason != "" && r.Error == "" {
				t.Fatal("record of a token deny has no cause")
			}
			raw, _ := json.Marshal(r)
			if tc.token != "" && strings.Contains(string(raw), `"`+tc.token+`"`) {
				t.Fatalf("record holds the token: %s", raw)
			}
		})
	}
}

// targets resolves as the engine would: "" is authz/decision, other is
// undeclared; active false means no bundle.
type targets struct{ active bool }

func (t targets) Target(ep string) (string, string, error) {
	switch {
	case !t.active:
		return "", "", pdp.Unavailable("no policy bundle is active", nil)
	case ep == "" || ep == "authz/decision":
		return "r7", "authz/decision", nil
	}
	return "", "", pdp.InvalidField("policy", "not declared")
}

// TestTokenDenyNamesTheBundle: a refused token is decided without
// evaluation, but its answer and record name the active revision and the
// entrypoint, and it fails as an evaluation would when there is no bundle
// or the policy is not declared.
func TestTokenDenyNamesTheBundle(t *testing.T) {
	tests := []struct {
		name    string
		targets targets
		policy  string
		code    pdp.Code // "" for no error
	}{
		{"active bundle", targets{true}, "", ""},
		{"no bundle", targets{false}, "", pdp.CodeUnavailable},
		{"undeclared policy", targets{true}, "other", pdp.CodeInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &records{}
			svc := decision.New(decision.Options{Evaluator: allowAll{}, Recorder: rec, Tokens: tokens{}, Targets: tc.targets})
			req := pdp.Request{Subject: pdp.Subject{Token: "bad"}, Resource: pdp.Resource{Type: "doc"},
				Action: pdp.Action{Name: "read"}, Policy: tc.policy}
			d, err := svc.Check(context.Background(), req)
			if err != nil {
				if pdp.ErrorCode(err) != tc.code {
					t.Fatalf("Check error = %v, want code %q", err, tc.code)
				}
				if len(rec.recs) != 0 {
					t.Fatal("a refused request left a record")
				}
				return
			}
			if tc.code != "" {
				t.Fatalf("Check succeeded, want code %q", tc.code)
			}
			r := rec.recs[0]
			if d.BundleRevision != "r7" || r.BundleRevision != "r7" || r.Entrypoint != "authz/decision" || d.Allow {
				t.Errorf("decision %+v, record revision %q entrypoint %q", d.Result, r.BundleRevision, r.Entrypoint)
			}
		})
	}
}

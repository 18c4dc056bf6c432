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

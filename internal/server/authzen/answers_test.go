package authzen

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const exampleBundle = "../../../bundles/example"

// exampleEval is an AuthZEN evaluation of the example bundle: a viewer
// reads a document (allowed), or deletes it (denied).
func exampleEval(action string) string {
	return `{"subject":{"type":"user","id":"alice","properties":{"roles":["viewer"]}},
		"resource":{"type":"document","id":"d1"},"action":{"name":"` + action + `"}}`
}

// assertAudited checks that ids are the decision ids of the fixture's
// audit records, in order.
func assertAudited(t *testing.T, f *fixture, ids []string) {
	t.Helper()
	var recorded []string
	for _, r := range f.records() {
		recorded = append(recorded, r.DecisionID)
	}
	if !slices.Equal(ids, recorded) {
		t.Errorf("answered decision ids %q, audited %q", ids, recorded)
	}
}

// TestAnswersCarryDecisionIDAndReasons: every decided answer names its
// audit record in context.decision_id; the reasons are added only for a
// caller the Reasons rule lets see them, asked with the endpoint's path.
func TestAnswersCarryDecisionIDAndReasons(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		var asked []string
		f := newFixtureWith(t, exampleBundle, 10, func(o *Options) {
			o.Reasons = func(_ context.Context, path, caller string) bool {
				asked = append(asked, path+" "+caller)
				return allowed
			}
		})
		_, one, _ := f.post(t, PathEvaluation, exampleEval("read"))
		_, batch, _ := f.post(t, PathEvaluations, `{"evaluations":[`+exampleEval("read")+`,`+exampleEval("delete")+`]}`)
		answers := append([]any{one}, batch["evaluations"].([]any)...)
		recs := f.records()
		if len(recs) != 3 || len(answers) != 3 {
			t.Fatalf("%d records, %d answers; want 3 each", len(recs), len(answers))
		}
		for i, a := range answers {
			ctx, _ := a.(map[string]any)["context"].(map[string]any)
			if ctx["decision_id"] != recs[i].DecisionID {
				t.Errorf("answer %d: decision_id %v, audited %q", i, ctx["decision_id"], recs[i].DecisionID)
			}
			reasons, shown := ctx["reasons"]
			switch {
			case !allowed && shown:
				t.Errorf("answer %d shows reasons %v to a caller who may not see them", i, reasons)
			case allowed && jsonString(t, reasons) != jsonString(t, recs[i].Reasons):
				t.Errorf("answer %d: reasons %v, audited %q", i, reasons, recs[i].Reasons)
			}
		}
		want := []string{PathEvaluation + " local", PathEvaluations + " local"}
		if !slices.Equal(asked, want) {
			t.Errorf("Reasons asked %q, want %q (once per request)", asked, want)
		}
	}
}

// TestContentType: every POST endpoint decides only a body sent as
// application/json; anything else is a 400 naming the header, and nothing
// is decided or audited.
func TestContentType(t *testing.T) {
	f := newFixture(t, todoBundle, 10)
	good := todoEval(rick, "can_read_todos", "")
	paths := []string{PathEvaluation, PathEvaluations, PathSearchSubject, PathSearchResource, PathSearchAction}
	tests := []struct {
		name   string
		values []string // Content-Type headers sent
		ok     bool
	}{
		{"application/json", []string{"application/json"}, true},
		{"with a charset", []string{"application/json; charset=utf-8"}, true},
		{"upper case", []string{"Application/JSON"}, true},
		{"missing", nil, false},
		{"text/plain", []string{"text/plain"}, false},
		{"form", []string{"application/x-www-form-urlencoded"}, false},
		{"a JSON look-alike", []string{"application/jsonp"}, false},
		{"unparsable", []string{"application/json; ="}, false},
		{"twice", []string{"application/json", "text/plain"}, false},
	}
	for _, tc := range tests {
		for _, path := range paths {
			t.Run(tc.name+path, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(good))
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range tc.values {
					req.Header.Add("Content-Type", v)
				}
				code, body, _ := do(t, req)
				msg, _ := body["error"].(string)
				refused := code == http.StatusBadRequest && strings.HasPrefix(msg, "Content-Type: ")
				if refused == tc.ok {
					t.Errorf("got %d %q; want refused %v", code, msg, !tc.ok)
				}
			})
		}
	}
	// Decided: the evaluation and the batch (of one) for each accepted type;
	// the searches are not available on this bundle.
	if n, want := len(f.records()), 2*3; n != want {
		t.Errorf("%d audit records, want %d: a refused body is never decided", n, want)
	}
}

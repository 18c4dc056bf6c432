package authzen

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/pdp"
)

const (
	usersOnRecord = `{"subject":{"type":"user","properties":{"dept":"x"}},"action":{"name":"read"},"resource":{"type":"record","id":"r1"}}`
	actionsOnRec  = `{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"r1"}}`
)

func TestSearchCandidates(t *testing.T) {
	tests := []struct {
		name, path, body, candidates, want string
		warn                               []string // parts of the one warning; nil: none
	}{
		{"well-formed candidates pass as they are", PathSearchSubject, usersOnRecord,
			`[{"type":"user","id":"alice"},{"type":"user","id":"bob"}]`,
			`[{"id":"alice","type":"user"},{"id":"bob","type":"user"}]`, nil},
		{"other types, duplicates and malformed ones dropped; properties not echoed", PathSearchSubject, usersOnRecord,
			`[{"type":"group","id":"alice"},{"type":"user","id":"bob"},{"type":"user","id":"bob"},{"type":"user"},
			  {"type":"user","id":5},{"type":"user","id":"alice","properties":{"role":"admin"}},{"name":"view"},{"type":"user","id":""},"carol"]`,
			`[{"id":"bob","type":"user"},{"id":"alice","type":"user"}]`,
			[]string{`"wrong_type":1`, `"malformed":5`, `"duplicate":1`, `"type":"user"`}},
		{"actions: duplicates dropped, only the name", PathSearchAction, actionsOnRec,
			`[{"name":"view","properties":{"x":1}},{"name":"view"},{"name":"edit","type":"verb"},{"id":"delete"}]`,
			`[{"name":"view"},{"name":"edit"}]`,
			[]string{`"malformed":1`, `"duplicate":1`}},
		{"candidates not an array", PathSearchSubject, usersOnRecord, `"alice"`, `[]`,
			[]string{"unusable", "not an array"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, logs := stubFixture(t, &stubDecider{lookup: candidatesLookup(t, tc.candidates), batchRev: "r1"})
			code, body, _ := f.post(t, tc.path, tc.body)
			if got := jsonString(t, body["results"]); code != http.StatusOK || got != tc.want {
				t.Fatalf("got %d %s, want 200 %s", code, got, tc.want)
			}
			assertWarning(t, logs, tc.warn)
		})
	}
}

func TestSearchBrokenCandidates(t *testing.T) {
	tests := []struct {
		name   string
		lookup pdp.Decision
		warn   []string
	}{
		{"lookup denied", pdp.Decision{ID: "d1", Result: pdp.Result{Reasons: []string{pdp.ReasonInvalidResult}}},
			[]string{"unusable", "did not allow", pdp.ReasonInvalidResult, `"decision_id":"d1"`}},
		{"lookup failed", pdp.Decision{Result: pdp.Result{Reasons: []string{pdp.ReasonEvaluationError}, Err: "conflicting rules"}},
			[]string{"unusable", "conflicting rules"}},
		{"no candidates", pdp.Decision{Result: pdp.Result{Allow: true}}, []string{"unusable", "obligations.candidates is missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, logs := stubFixture(t, &stubDecider{lookup: tc.lookup})
			code, body, _ := f.post(t, PathSearchSubject, usersOnRecord)
			if got := jsonString(t, body["results"]); code != http.StatusOK || got != `[]` {
				t.Fatalf("got %d %s, want 200 [] (fail closed)", code, got)
			}
			assertWarning(t, logs, tc.warn)
		})
	}
}

// assertWarning checks that exactly one warning holds every part, or that
// none was logged when parts is nil.
func assertWarning(t *testing.T, logs *logBuffer, parts []string) {
	t.Helper()
	warnings := logs.warnings()
	if len(warnings) != min(len(parts), 1) {
		t.Fatalf("warnings %q, want %d", warnings, min(len(parts), 1))
	}
	for _, p := range parts {
		if !strings.Contains(warnings[0], p) {
			t.Errorf("warning %s lacks %s", warnings[0], p)
		}
	}
}

// TestSearchDecidesWhatItReturns checks that a candidate is decided as the
// search returns it, with the request's properties: its own are not input.
func TestSearchDecidesWhatItReturns(t *testing.T) {
	dec := &stubDecider{lookup: candidatesLookup(t, `[{"type":"user","id":"alice","properties":{"role":"admin"},"dept":"y"}]`), batchRev: "r1"}
	f, _ := stubFixture(t, dec)
	if code, body, _ := f.post(t, PathSearchSubject, usersOnRecord); code != http.StatusOK {
		t.Fatalf("got %d %v", code, body)
	}
	if got := dec.requests(); len(got) != 1 || got[0].Subject.ID != "alice" || jsonString(t, got[0].Subject.Attributes) != `{"dept":"x"}` {
		t.Fatalf("decided %+v, want alice with the request's properties only", got)
	}
}

// TestSearchPageTokenAfterSwapDuringSearch: when the bundle changed between
// the candidates lookup and the decisions, the next page cannot continue.
func TestSearchPageTokenAfterSwapDuringSearch(t *testing.T) {
	tests := []struct {
		name, batchRev string
		code           int
	}{
		{"same revision throughout", "r1", http.StatusOK},
		{"decided under another revision", "r2", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := stubFixture(t, &stubDecider{lookup: candidatesLookup(t, `[{"name":"a"},{"name":"b"}]`), batchRev: tc.batchRev})
			page := `{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"r1"},"page":{"limit":1,"token":%q}}`
			token := f.nextToken(t, PathSearchAction, sprintf(page, ""))
			if code, body, _ := f.post(t, PathSearchAction, sprintf(page, token)); code != tc.code {
				t.Fatalf("got %d %v, want %d", code, body, tc.code)
			}
		})
	}
}

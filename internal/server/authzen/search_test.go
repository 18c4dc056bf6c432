package authzen

import (
	"net/http"
	"strings"
	"testing"
)

func TestSearchPaging(t *testing.T) {
	f := newFixture(t, searchBundle, 7) // several chunks of candidates
	req := `{"subject":{"type":"user","id":"alice"},"action":{"name":"delete"},"resource":{"type":"record"},"page":{"limit":3%s}}`
	var got []any
	token, pages := "", 0
	for range 5 {
		pages++
		tok := ""
		if token != "" {
			tok = `,"token":"` + token + `"`
		}
		code, body, _ := f.post(t, PathSearchResource, sprintf(req, tok))
		if code != http.StatusOK {
			t.Fatalf("status %d: %v", code, body)
		}
		got = append(got, body["results"].([]any)...)
		token, _ = body["page"].(map[string]any)["next_token"].(string)
		if token == "" {
			break
		}
	}
	want := `[{"id":"101","type":"record"},{"id":"107","type":"record"},{"id":"113","type":"record"},{"id":"119","type":"record"}]`
	if s := jsonString(t, got); s != want || pages != 2 {
		t.Fatalf("paged results %s in %d pages\nwant %s in 2 pages of at most 3", s, pages, want)
	}
}

func TestSearchKinds(t *testing.T) {
	f := newFixture(t, searchBundle, 100)
	tests := []struct {
		name, path, body, want string
	}{
		{"subjects", PathSearchSubject, `{"subject":{"type":"user"},"action":{"name":"edit"},"resource":{"type":"record","id":"110"}}`,
			`[{"id":"alice","type":"user"},{"id":"dan","type":"user"}]`},
		{"actions", PathSearchAction, `{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"103"}}`,
			`[{"name":"view"}]`},
		{"certification fixture: who may read record-1", PathSearchSubject, `{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}`,
			`[{"id":"alice","type":"user"},{"id":"bob","type":"user"}]`},
		{"certification fixture: what alice may do on record-1", PathSearchAction, `{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"record-1"}}`,
			`[{"name":"read"},{"name":"write"}]`},
		{"unknown record gives nothing", PathSearchAction, `{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"999"}}`,
			`[]`},
		{"unknown subject type gives nothing", PathSearchSubject, `{"subject":{"type":"robot"},"action":{"name":"view"},"resource":{"type":"record","id":"101"}}`,
			`[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := f.post(t, tc.path, tc.body)
			if got := jsonString(t, body["results"]); code != http.StatusOK || got != tc.want {
				t.Fatalf("got %d %s, want %s", code, got, tc.want)
			}
		})
	}
}

func TestSearchWithoutCandidatesEntrypoint(t *testing.T) {
	f := newFixture(t, todoBundle, 100)
	code, body, _ := f.post(t, PathSearchAction, `{"subject":{"type":"user","id":"`+rick+`"},"resource":{"type":"todo","id":"1"}}`)
	if code != http.StatusNotImplemented || body["error"] == nil {
		t.Fatalf("got %d %v, want 501 with a message", code, body)
	}
}

func TestDiscovery(t *testing.T) {
	f := newFixture(t, todoBundle, 100)
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+PathDiscovery, nil)
	code, body, _ := do(t, req)
	if code != http.StatusOK || body["policy_decision_point"] != "https://pdp.example:7071" ||
		body["access_evaluations_endpoint"] != "https://pdp.example:7071/access/v1/evaluations" ||
		body["search_action_endpoint"] != "https://pdp.example:7071/access/v1/search/action" {
		t.Fatalf("got %d %v", code, body)
	}
}

// TestSearchInvalid: a search is validated like an evaluation before any
// lookup, and its errors name the fields as the caller sent them.
func TestSearchInvalid(t *testing.T) {
	f := newFixture(t, searchBundle, 100)
	deep := strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40)
	tests := []struct {
		name, path, body, prefix string
	}{
		{"too deep subject property", PathSearchResource, `{"subject":{"type":"user","id":"bob","properties":{"a":` + deep + `}},"action":{"name":"view"},"resource":{"type":"record"}}`,
			"subject.properties.a[0][0]"},
		{"too deep property of the open object", PathSearchSubject, `{"subject":{"type":"user","properties":{"a":` + deep + `}},"action":{"name":"view"},"resource":{"type":"record","id":"101"}}`,
			"subject.properties.a[0][0]"},
		{"too deep context", PathSearchSubject, `{"subject":{"type":"user"},"action":{"name":"view"},"resource":{"type":"record","id":"101"},"context":{"a":` + deep + `}}`,
			"context.a[0][0]"},
		{"context not an object", PathSearchAction, `{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"101"},"context":[1]}`,
			"context: must be a JSON object"},
		{"action not an object", PathSearchSubject, `{"subject":{"type":"user"},"action":"view","resource":{"type":"record","id":"101"}}`,
			"action: must be a JSON object"},
		{"page not an object", PathSearchSubject, `{"subject":{"type":"user"},"action":{"name":"view"},"resource":{"type":"record","id":"101"},"page":1}`,
			"page: must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := f.post(t, tc.path, tc.body)
			if msg, _ := body["error"].(string); code != http.StatusBadRequest || !strings.HasPrefix(msg, tc.prefix) {
				t.Fatalf("got %d %q, want 400 starting %q", code, msg, tc.prefix)
			}
		})
	}
	if n := len(f.records()); n != 0 {
		t.Fatalf("%d audit records; a rejected search looks nothing up", n)
	}
}

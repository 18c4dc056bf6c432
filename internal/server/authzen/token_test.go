package authzen

import (
	"net/http"
	"strings"
	"testing"
)

const bobViews = `{"subject":{"type":"user","id":"%s"},"action":{"name":"view"},"resource":{"type":"record"},"page":{"limit":%d,"token":%q}}`

// nextToken runs a search and returns its page.next_token, which must be set.
func (f *fixture) nextToken(t *testing.T, path, body string) string {
	t.Helper()
	code, out, _ := f.post(t, path, body)
	page, _ := out["page"].(map[string]any)
	token, _ := page["next_token"].(string)
	if code != http.StatusOK || token == "" {
		t.Fatalf("got %d %v, want 200 with a next_token", code, out)
	}
	return token
}

func TestSearchPageToken(t *testing.T) {
	f := newFixture(t, searchBundle, 100)
	token := f.nextToken(t, PathSearchResource, sprintf(bobViews, "bob", 2, ""))
	subjects := `{"subject":{"type":"user"},"action":{"name":"view"},"resource":{"type":"record","id":"101"},"page":{"limit":2,"token":%q}}`
	tests := []struct {
		name, path, body, inMsg string
	}{
		{"a bare offset", PathSearchResource, sprintf(bobViews, "bob", 2, "3"), "not a token this PDP issued"},
		{"a signed offset", PathSearchResource, sprintf(bobViews, "bob", 2, "+5"), "not a token this PDP issued"},
		{"a padded offset", PathSearchResource, sprintf(bobViews, "bob", 2, "05"), "not a token this PDP issued"},
		{"an offset past the end", PathSearchResource, sprintf(bobViews, "bob", 2, "100"), "not a token this PDP issued"},
		{"a token cut short", PathSearchResource, sprintf(bobViews, "bob", 2, token[:len(token)/2]), "not a token this PDP issued"},
		{"another subject", PathSearchResource, sprintf(bobViews, "alice", 2, token), "belongs to another search"},
		{"another kind of search", PathSearchSubject, sprintf(subjects, token), "belongs to another search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.records())
			code, body, _ := f.post(t, tc.path, tc.body)
			msg, _ := body["error"].(string)
			if code != http.StatusBadRequest || !strings.HasPrefix(msg, "page.token: ") || !strings.Contains(msg, tc.inMsg) {
				t.Fatalf("got %d %q, want 400 naming page.token with %q", code, msg, tc.inMsg)
			}
			if n := len(f.records()) - before; n != 0 {
				t.Fatalf("%d audit records; a refused token is refused before any lookup", n)
			}
		})
	}
}

func TestSearchPageTokenContinues(t *testing.T) {
	f := newFixture(t, searchBundle, 100)
	tests := []struct {
		name, body string
	}{
		{"same search and limit", sprintf(bobViews, "bob", 2, "%s")},
		{"same search, another limit", sprintf(bobViews, "bob", 1, "%s")},
		{"same search, members in another order", `{"page":{"limit":2,"token":%q},"resource":{"type":"record"},"action":{"name":"view"},"subject":{"id":"bob","type":"user"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := f.nextToken(t, PathSearchResource, sprintf(bobViews, "bob", 2, ""))
			code, body, _ := f.post(t, PathSearchResource, sprintf(tc.body, token))
			if results, _ := body["results"].([]any); code != http.StatusOK || len(results) == 0 {
				t.Fatalf("got %d %v, want the next page", code, body)
			}
		})
	}
}

func TestSearchPageTokenAfterBundleChange(t *testing.T) {
	f := newFixture(t, searchBundle, 100)
	token := f.nextToken(t, PathSearchResource, sprintf(bobViews, "bob", 2, ""))
	f.activateRevision(t, "authzen-search-2")
	code, body, _ := f.post(t, PathSearchResource, sprintf(bobViews, "bob", 2, token))
	msg, _ := body["error"].(string)
	if code != http.StatusBadRequest || !strings.HasPrefix(msg, "page.token: ") || !strings.Contains(msg, "start over") {
		t.Fatalf("got %d %q, want 400 naming page.token, telling to start over", code, msg)
	}
}

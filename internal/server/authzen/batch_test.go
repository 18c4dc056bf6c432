package authzen

import (
	"net/http"
	"testing"
)

// batchBody asks whether Morty may update Rick's todo, then his own, then
// (an invalid item without an id) someone's, then Summer's.
func batchBody(semantic string) string {
	return `{"subject":{"type":"user","id":"` + morty + `"},"action":{"name":"can_update_todo"},
	"options":{"evaluations_semantic":"` + semantic + `"},
	"evaluations":[
	  {"resource":{"type":"todo","id":"1","properties":{"ownerID":"rick@the-citadel.com"}}},
	  {"resource":{"type":"todo","id":"2","properties":{"ownerID":"morty@the-citadel.com"}}},
	  {"resource":{"type":"todo"}},
	  {"action":{"name":"can_read_todos"},"resource":{"type":"todo","id":"4"}}]}`
}

func TestEvaluations(t *testing.T) {
	itemErr := `{"context":{"error":"resource.id: is required"},"decision":false}`
	tests := []struct {
		name, body, want string
		records          int
	}{
		{"execute_all answers every item, errors in place", batchBody("execute_all"),
			`{"evaluations":[{"decision":false},{"decision":true},` + itemErr + `,{"decision":true}]}`, 3},
		{"default is execute_all", batchBody(""),
			`{"evaluations":[{"decision":false},{"decision":true},` + itemErr + `,{"decision":true}]}`, 3},
		{"deny_on_first_deny stops at the first deny", batchBody("deny_on_first_deny"),
			`{"evaluations":[{"decision":false}]}`, 1},
		{"permit_on_first_permit stops at the first permit", batchBody("permit_on_first_permit"),
			`{"evaluations":[{"decision":false},{"decision":true}]}`, 2},
		{"an item that is not an object is named by its index", `{"subject":{"type":"user","id":"` + morty + `"},
			"action":{"name":"can_read_todos"},"evaluations":[{"resource":{"type":"todo","id":"4"}},7]}`,
			`{"evaluations":[{"decision":true},{"context":{"error":"evaluations[1]: must be a JSON object"},"decision":false}]}`, 1},
		{"no evaluations is a single evaluation", `{"subject":{"type":"user","id":"` + beth + `"},
			"action":{"name":"can_create_todo"},"resource":{"type":"todo","id":"todo-1"}}`, `{"decision":false}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, todoBundle, 4)
			code, body, _ := f.post(t, PathEvaluations, tc.body)
			ids := decisionIDs(t, body)
			if got := jsonString(t, body); code != http.StatusOK || got != tc.want {
				t.Fatalf("got %d %s\nwant 200 %s", code, got, tc.want)
			}
			if n := len(f.records()); n != tc.records {
				t.Fatalf("%d audit records, want %d (one per decided item)", n, tc.records)
			}
			assertAudited(t, f, ids)
		})
	}
}

package authzen

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func todoEval(subject, action, owner string) string {
	return fmt.Sprintf(`{"subject":{"type":"user","id":%q},"action":{"name":%q},
		"resource":{"type":"todo","id":"t1","properties":{"ownerID":%q}},"context":{"ip":"10.0.0.1"}}`,
		subject, action, owner)
}

func TestEvaluation(t *testing.T) {
	f := newFixture(t, todoBundle, 100)
	tests := []struct {
		name, body, want string
	}{
		{"editor updates own todo", todoEval(morty, "can_update_todo", "morty@the-citadel.com"), `{"decision":true}`},
		{"deny is a plain false", todoEval(morty, "can_update_todo", "rick@the-citadel.com"), `{"decision":false}`},
		{"viewer may not create", todoEval(beth, "can_create_todo", ""), `{"decision":false}`},
		{"subject by email, draft-00 ownerID beside the id",
			`{"subject":{"type":"user","id":"morty@the-citadel.com","identity":"x"},"action":{"name":"can_delete_todo"},
			"resource":{"type":"todo","id":"t2","ownerID":"morty@the-citadel.com"}}`, `{"decision":true}`},
		{"unknown fields ignored", `{"subject":{"type":"user","id":"` + rick + `"},"action":{"name":"can_read_todos"},
			"resource":{"type":"todo","id":"todo-1"},"extra":[1,2],"options":{"x":true}}`, `{"decision":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := f.post(t, PathEvaluation, tc.body)
			decisionIDs(t, body)
			if code != http.StatusOK || jsonString(t, body) != tc.want {
				t.Fatalf("got %d %s, want 200 %s", code, jsonString(t, body), tc.want)
			}
		})
	}
	if n := len(f.records()); n != len(tests) {
		t.Fatalf("%d audit records, want one per evaluation (%d)", n, len(tests))
	}
}

func TestEvaluationMapping(t *testing.T) {
	f := newFixture(t, todoBundle, 100)
	body := `{"subject":{"type":"user","id":"` + morty + `","properties":{"roles":["a","b"],"dept":"x"}},
		"action":{"name":"can_read_user","properties":{"p":1}},"resource":{"type":"user","id":"u"},
		"context":{"time":"2020-01-01T00:00:00Z"}}`
	if code, _, _ := f.post(t, PathEvaluation, body); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	rec := f.records()[0]
	in := rec.Input
	want := `{"attributes":{"dept":"x"},"id":"` + morty + `","roles":["a","b"],"type":"user"}`
	if got := jsonString(t, in["subject"]); got != want {
		t.Errorf("subject = %s\nwant      %s", got, want)
	}
	if got := jsonString(t, in["action"]); got != `{"attributes":{"p":1},"name":"can_read_user"}` {
		t.Errorf("action = %s", got)
	}
	if got := jsonString(t, in["environment"]); got != `{"time":"2020-01-01T00:00:00Z"}` {
		t.Errorf("environment = %s", got)
	}
	if got := jsonString(t, in["caller"]); got != `{"id":"local"}` {
		t.Errorf("caller = %s (loopback HTTP callers are local)", got)
	}
}

func TestMalformed(t *testing.T) {
	f := newFixture(t, todoBundle, 2)
	good := todoEval(rick, "can_read_todos", "")
	tests := []struct {
		name, path, body, inMsg string
	}{
		{"not JSON", PathEvaluation, `{"subject":`, "not valid JSON"},
		{"empty body", PathEvaluation, ``, "empty"},
		{"array body", PathEvaluation, `[1]`, "object"},
		{"two values", PathEvaluation, good + good, "more than one"},
		{"missing subject", PathEvaluation, `{"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject: is required"},
		{"subject not an object", PathEvaluation, `{"subject":"rick","action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject"},
		{"missing subject id", PathEvaluation, `{"subject":{"type":"user"},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.id"},
		{"numeric subject id", PathEvaluation, `{"subject":{"type":"user","id":7},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.id: must be a string"},
		{"missing resource id", PathEvaluation, `{"subject":{"type":"user","id":"x"},"action":{"name":"a"},"resource":{"type":"t"}}`, "resource.id"},
		{"missing action", PathEvaluation, `{"subject":{"type":"user","id":"x"},"resource":{"type":"t","id":"1"}}`, "action"},
		{"properties not an object", PathEvaluation, `{"subject":{"type":"user","id":"x","properties":[]},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.properties"},
		{"too deep", PathEvaluation, `{"subject":{"type":"u","id":"x"},"action":{"name":"a"},"resource":{"type":"t","id":"1"},"context":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}`, "context.a.a"},
		{"too deep in properties", PathEvaluation, `{"subject":{"type":"u","id":"x","properties":{"p":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.properties.p[0]"},
		{"invalid UTF-8 subject id", PathEvaluation, "{\"subject\":{\"type\":\"user\",\"id\":\"a\xff\"},\"action\":{\"name\":\"a\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"}}", "subject.id: is not valid UTF-8"},
		{"invalid UTF-8 in a batch item", PathEvaluations, "{\"evaluations\":[{},{\"action\":{\"name\":\"r\xffead\"}}]}", "evaluations[1].action.name: is not valid UTF-8"},
		{"invalid UTF-8 key", PathEvaluation, "{\"context\":{\"k\xff\":1}}", "context: has a key that is not valid UTF-8"},
		{"duplicate subject id", PathEvaluation, `{"subject":{"type":"user","id":"a","id":"b"},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.id: appears more than once"},
		{"duplicate subject", PathEvaluation, `{"subject":{"type":"user","id":"a"},"subject":{"type":"user","id":"b"},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject: appears more than once"},
		{"duplicate key in a batch item", PathEvaluations, `{"evaluations":[{},{"action":{"name":"a","name":"b"}}]}`, "evaluations[1].action.name: appears more than once"},
		{"duplicate key in a search", PathSearchSubject, `{"subject":{"type":"user"},"action":{"name":"a"},"resource":{"type":"t","id":"1","id":"2"}}`, "resource.id: appears more than once"},
		{"number beyond float64", PathEvaluation, `{"subject":{"type":"user","id":"a","properties":{"x":1e999}},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, "subject.properties.x: 1e999 is beyond the range of a 64-bit float"},
		{"number beyond float64 in context", PathEvaluations, `{"evaluations":[{"context":{"n":[1,-2e308]}}]}`, "evaluations[0].context.n[1]: -2e308 is beyond"},
		{"too large", PathEvaluation, `{"context":{"a":"` + strings.Repeat("x", maxEvaluationBytes) + `"}}`, "larger"},
		{"evaluations not an array", PathEvaluations, `{"evaluations":{}}`, "evaluations"},
		{"batch over the limit", PathEvaluations, `{"evaluations":[{},{},{}]}`, "at most 2"},
		{"unknown semantic", PathEvaluations, `{"evaluations":[{}],"options":{"evaluations_semantic":"maybe"}}`, "evaluations_semantic"},
		{"search without resource type", PathSearchResource, `{"subject":{"type":"user","id":"alice"},"action":{"name":"view"},"resource":{}}`, "resource.type"},
		{"bad page token", PathSearchAction, `{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"1"},"page":{"token":"zz"}}`, "page.token"},
		{"negative limit", PathSearchAction, `{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"1"},"page":{"limit":-1}}`, "page.limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, hdr := f.post(t, tc.path, tc.body, "X-Request-ID", "req-"+tc.name)
			msg, _ := body["error"].(string)
			if code != http.StatusBadRequest || !strings.Contains(msg, tc.inMsg) {
				t.Fatalf("got %d %q, want 400 with a message containing %q", code, msg, tc.inMsg)
			}
			if got := hdr.Get("X-Request-ID"); got != "req-"+tc.name {
				t.Errorf("X-Request-ID = %q, want it echoed", got)
			}
		})
	}
	if n := len(f.records()); n != 0 {
		t.Fatalf("%d audit records; a rejected request is not a decision", n)
	}
}

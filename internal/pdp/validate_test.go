package pdp

import (
	"math"
	"strings"
	"testing"
)

func valid() Request {
	return Request{
		Subject:  Subject{Type: "user", ID: "alice"},
		Resource: Resource{Type: "document", ID: "d1"},
		Action:   Action{Name: "read"},
	}
}

func deep(n int) map[string]any {
	v := map[string]any{}
	for range n {
		v = map[string]any{"n": v}
	}
	return v
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(r *Request)
		field string // "" means valid
	}{
		{"valid", func(*Request) {}, ""},
		{"token instead of id", func(r *Request) { r.Subject.ID, r.Subject.Token = "", "a.b.c" }, ""},
		{"missing subject id", func(r *Request) { r.Subject.ID = "" }, "subject.id"},
		{"missing resource type", func(r *Request) { r.Resource.Type = "" }, "resource.type"},
		{"missing action", func(r *Request) { r.Action.Name = "" }, "action.name"},
		{"bad utf8 id", func(r *Request) { r.Subject.ID = "a\xff" }, "subject.id"},
		{"bad utf8 role", func(r *Request) { r.Subject.Roles = []string{"ok", "\xfe"} }, "subject.roles[1]"},
		{"bad utf8 key", func(r *Request) { r.Resource.Attributes = map[string]any{"\xff": 1} }, "resource.attributes"},
		{"bad utf8 nested", func(r *Request) { r.Environment = map[string]any{"a": []any{"x", "\xff"}} }, "environment.a[1]"},
		{"NaN", func(r *Request) { r.Subject.Attributes = map[string]any{"n": math.NaN()} }, "subject.attributes.n"},
		{"infinity", func(r *Request) { r.Environment = map[string]any{"x": []any{math.Inf(1)}} }, "environment.x[0]"},
		{"depth 31 ok", func(r *Request) { r.Action.Attributes = deep(31) }, ""},
		{"depth 33 too deep", func(r *Request) { r.Action.Attributes = deep(33) }, "action.attributes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mod(&r)
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if ErrorCode(err) != CodeInvalidArgument || !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("got %v, want InvalidArgument on %s", err, tc.field)
			}
		})
	}
}

func TestWithFieldPrefix(t *testing.T) {
	err := WithFieldPrefix(InvalidField("action.name", "is required"), "checks[3].")
	if got := err.Error(); got != "checks[3].action.name: is required" {
		t.Fatalf("got %q", got)
	}
}

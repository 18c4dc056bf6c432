package strictjson_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/strictjson"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, doc string
		path, msg string // path and msg of the refusal; msg "" when accepted
	}{
		{"plain", `{"subject":{"id":"a","properties":{"x":1.5}},"evaluations":[{"a":1},{"a":2}]}`, "", ""},
		{"same key in two objects", `{"a":{"id":1},"b":{"id":2}}`, "", ""},
		{"keys differing in case", `{"id":"a","ID":"b"}`, "", ""},
		{"syntax error left to the decoder", `{"a":`, "", ""},
		{"duplicate at the top", `{"subject":{"id":"a"},"subject":{"id":"b"}}`, "subject", "appears more than once in its object"},
		{"duplicate subject id", `{"subject":{"type":"user","id":"a","id":"b"}}`, "subject.id", "appears more than once in its object"},
		{"duplicate in a batch item", `{"evaluations":[{},{"subject":{"id":"a","id":"b"}}]}`, "evaluations[1].subject.id", "appears more than once in its object"},
		{"duplicate after an array value", `{"r":["a","b"],"r":[]}`, "r", "appears more than once in its object"},
		{"number beyond float64", `{"subject":{"properties":{"x":1e999}}}`, "subject.properties.x", "1e999 is beyond the range of a 64-bit float"},
		{"negative number beyond", `{"a":[0,-1e400]}`, "a[1]", "-1e400 is beyond the range of a 64-bit float"},
		{"tiny number is fine", `{"a":1e-400}`, "", ""},
		{"invalid UTF-8 value", "{\"subject\":{\"id\":\"a\xffb\"}}", "subject.id", "is not valid UTF-8"},
		{"invalid UTF-8 key", "{\"subject\":{\"i\xffd\":\"a\"}}", "subject", "has a key that is not valid UTF-8"},
		{"top-level number", `1e999`, "", "1e999 is beyond the range of a 64-bit float"},
		{"deep nesting left to the decoder", strings.Repeat("[", 20000), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := strictjson.Check([]byte(tc.doc))
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var e *strictjson.Error
			if !errors.As(err, &e) || e.Path != tc.path || e.Msg != tc.msg {
				t.Fatalf("Check = %#v, want path %q msg %q", err, tc.path, tc.msg)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	if got := (&strictjson.Error{Path: "subject.id", Msg: "appears more than once in its object"}).Error(); got != "subject.id: appears more than once in its object" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&strictjson.Error{Msg: "1e999 is beyond the range of a 64-bit float"}).Error(); got != "1e999 is beyond the range of a 64-bit float" {
		t.Errorf("Error() = %q", got)
	}
}

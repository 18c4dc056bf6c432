package server

import (
	"cmp"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// FuzzToInput feeds arbitrary wire bytes through decoding, conversion,
// validation and input building: nothing may panic, and every valid request
// yields the complete input document (subject, resource, action,
// environment with its time, caller).
func FuzzToInput(f *testing.F) {
	seed, _ := proto.Marshal(&pdpv1.CheckRequest{
		Subject:  &pdpv1.Subject{Type: "user", Id: "alice", Roles: []string{"admin"}},
		Resource: &pdpv1.Resource{Type: "document", Id: "d1"},
		Action:   &pdpv1.Action{Name: "read"},
	})
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &pdpv1.CheckRequest{}
		if proto.Unmarshal(data, in) != nil {
			return
		}
		req := toRequest(in, "local")
		if err := req.Validate(); err != nil {
			return
		}
		input := req.Input(time.Unix(0, 0))
		assertInputShape(t, input)
		if _, err := json.Marshal(input); err != nil {
			t.Fatalf("input of a valid request does not encode: %v", err)
		}
	})
}

func assertInputShape(t *testing.T, input map[string]any) {
	t.Helper()
	for _, k := range []string{"subject", "resource", "action", "environment", "caller"} {
		if _, ok := input[k].(map[string]any); !ok {
			t.Fatalf("input.%s is %T, want an object", k, input[k])
		}
	}
	subject := input["subject"].(map[string]any)
	if _, ok := subject["roles"].([]any); !ok {
		t.Fatalf("input.subject.roles is %T, want an array", subject["roles"])
	}
	if _, ok := input["environment"].(map[string]any)["time"].(string); !ok {
		t.Fatal("input.environment.time is missing")
	}
}

func TestToRequestDefaults(t *testing.T) {
	req := toRequest(&pdpv1.CheckRequest{}, "")
	input := req.Input(time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC))
	assertInputShape(t, input)
	if got := input["environment"].(map[string]any)["time"]; got != "2026-01-02T03:04:05Z" {
		t.Errorf("environment.time = %v", got)
	}
	if got := input["caller"].(map[string]any); len(got) != 0 {
		t.Errorf("caller = %v, want {}", got)
	}
}

// TestStructMapMatchesAsMap: for finite values the conversion is AsMap's.
func TestStructMapMatchesAsMap(t *testing.T) {
	s, err := structpb.NewStruct(map[string]any{
		"n": 1.5, "s": "x", "b": true, "null": nil, "empty": map[string]any{},
		"obj": map[string]any{"list": []any{1.0, "two", []any{}, map[string]any{"k": false}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := structMap(s), s.AsMap(); !reflect.DeepEqual(got, want) {
		t.Errorf("structMap = %#v\nwant %#v", got, want)
	}
	if structMap(nil) != nil {
		t.Error("structMap(nil) is not nil")
	}
}

// TestNonFiniteNumbersAreRefused: NaN and the infinities are not numbers
// JSON or Rego can hold; the field is named instead of the value becoming
// a string.
func TestNonFiniteNumbersAreRefused(t *testing.T) {
	num := structpb.NewNumberValue
	tests := []struct {
		name  string
		in    *pdpv1.CheckRequest
		field string
	}{
		{"NaN attribute", &pdpv1.CheckRequest{Subject: &pdpv1.Subject{Attributes: &structpb.Struct{
			Fields: map[string]*structpb.Value{"score": num(math.NaN())}}}}, "subject.attributes.score"},
		{"infinity in a list", &pdpv1.CheckRequest{Environment: &structpb.Struct{Fields: map[string]*structpb.Value{
			"xs": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{num(1), num(math.Inf(-1))}})}}},
			"environment.xs[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Subject = cmp.Or(tc.in.Subject, &pdpv1.Subject{})
			tc.in.Subject.Id = "alice"
			tc.in.Resource, tc.in.Action = &pdpv1.Resource{Type: "doc"}, &pdpv1.Action{Name: "read"}
			err := toRequest(tc.in, "").Validate()
			if err == nil || err.Error() != tc.field+": is not a finite number" {
				t.Errorf("Validate = %v, want %s: is not a finite number", err, tc.field)
			}
		})
	}
}

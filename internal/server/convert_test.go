package server

import (
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// FuzzToInput feeds arbitrary wire bytes through decoding, conversion,
// validation and input building: nothing may panic, and every valid request
// yields the complete input document of DESIGN.md §3.
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

package pdp

import (
	"encoding/json"
	"testing"
	"time"
)

func TestInput(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 500, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"empty objects and roles", Request{Subject: Subject{ID: "a"}},
			`{"action":{"attributes":{},"name":""},"caller":{},"environment":{"time":"2026-03-02T09:00:00Z"},"resource":{"attributes":{},"id":"","type":""},"subject":{"attributes":{},"id":"a","roles":[],"type":""}}`},
		{"caller time and claims kept", Request{Subject: Subject{ID: "a", Roles: []string{"r"}, Claims: map[string]any{"sub": "a"}},
			Environment: map[string]any{"time": "2020-01-01T00:00:00Z", "ip": "10.0.0.1"}, Caller: "svc"},
			`{"action":{"attributes":{},"name":""},"caller":{"id":"svc"},"environment":{"ip":"10.0.0.1","time":"2020-01-01T00:00:00Z"},"resource":{"attributes":{},"id":"","type":""},"subject":{"attributes":{},"claims":{"sub":"a"},"id":"a","roles":["r"],"type":""}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.req.Input(now))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

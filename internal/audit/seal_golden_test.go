package audit

import (
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// TestSealGolden pins the hash of fixed records: trails already written
// must keep verifying, whatever Seal, Document or Canonical become. The
// hashes are those the algorithm gave before the direct encoder (commit
// ca95b12).
func TestSealGolden(t *testing.T) {
	base := pdp.Record{
		DecisionID: "01a22453-3b0c-736f-b66e-87d1853631e5", Time: time.Date(2026, 3, 4, 5, 6, 7, 89, time.UTC),
		Caller: "local", SubjectType: "user", SubjectID: "alice", ResourceType: "document", ResourceID: "d1",
		Action: "read", Allow: true, Reasons: []string{"role:viewer grants document:read"},
		Obligations:    map[string]any{"watermark": true},
		Input:          map[string]any{"subject": map[string]any{"id": "alice", "é": 1.5, "\U0001F600": []any{1e21, nil}}},
		BundleRevision: "example-1", Entrypoint: "authz/decision", Latency: 1234 * time.Microsecond,
	}
	traced := base
	traced.TraceID, traced.Masked, traced.MaskError = "4bf92f3577b34da6a3ce929d0e0e4736", []string{"/input/x"}, true
	cases := []struct {
		name string
		rec  pdp.Record
		want string
	}{
		{"plain", base, "b2be76d2ae46e40946109027abe932d3d564b83ea2e360c258ad332f9e839c73"},
		{"traced and masked", traced, "143b6f22e5cd9173c805bdb0d7bbd0753bac99bd657015a3be0616f8c336bb8a"},
	}
	for _, c := range cases {
		got, err := Seal(GenesisHash, 7, c.rec)
		if err != nil || got != c.want {
			t.Errorf("%s: Seal = %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

package plantest

import (
	"math/rand"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// The example policy set (bundles/example): requests and resources drawn
// around what its rules read, mistyped values included.

var (
	exampleRoles   = []string{"viewer", "editor", "manager", "auditor", "admin", "intern"}
	exampleActions = []string{"read", "write", "share", "delete", "export", "approve"}
	exampleUsers   = []string{"alice", "bob", "carol", ""}
	exampleDepts   = []any{"", "eng", "sales", "legal"}
	exampleIPs     = []string{"10.0.0.5", "192.168.10.7", "203.0.113.9", "not-an-ip", ""}
	exampleTimes   = []string{"2026-03-02T10:00:00Z", "2026-03-02T19:30:00Z", "2026-03-07T10:00:00Z", "yesterday"}
)

// ExamplePools are the resource attributes the example policy reads.
func ExamplePools() Pools {
	return Pools{
		"owner":       {"", "alice", "bob", "carol", "dave", 7.0, true},
		"department":  {"", "eng", "sales", "legal", 1.0, false},
		"sensitivity": {0.0, 1.0, 2.0, 3.0, 2.5, -1.0, "high", "2", "", true},
		"title":       {"a", "b"},
	}
}

// ExampleRequest draws a request without a resource id or attributes, and
// the resource type it asks about.
func ExampleRequest(rng *rand.Rand) (map[string]any, string) {
	attrs := map[string]any{"department": pick(rng, exampleDepts)}
	switch rng.Intn(4) {
	case 0:
	case 1:
		attrs["clearance"] = "2"
	default:
		attrs["clearance"] = float64(rng.Intn(4))
	}
	env := map[string]any{"time": pick(rng, exampleTimes)}
	if ip := pick(rng, exampleIPs); ip != "" {
		env["ip"] = ip
	}
	typ := pick(rng, []string{"document", "report"})
	req := pdp.Request{
		Subject:     pdp.Subject{Type: "user", ID: pick(rng, exampleUsers), Roles: subset(rng, exampleRoles, 3), Attributes: attrs},
		Resource:    pdp.Resource{Type: typ},
		Action:      pdp.Action{Name: pick(rng, exampleActions)},
		Environment: env,
	}
	in := req.Input(time.Unix(0, 0))
	delete(in, "resource")
	return in, typ
}

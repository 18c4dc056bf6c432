package policies_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// The invariants of the example policy set, checked on random requests
// evaluated by the PDP's own engine against bundles/example.

var (
	propRoles   = []string{"viewer", "editor", "manager", "auditor", "admin", "intern"}
	propActions = []string{"read", "write", "share", "delete", "export", "approve"}
	propDepts   = []string{"", "eng", "sales", "legal"}
	propIPs     = []string{"10.0.0.5", "192.168.10.7", "203.0.113.9", "not-an-ip", ""}
	propTimes   = []string{"2026-03-02T10:00:00Z", "2026-03-02T19:30:00Z", "2026-03-07T10:00:00Z", "yesterday"}
	denialSet   = []string{"insufficient_clearance", "invalid_time", "no_matching_rule", "outside_office_hours", "untrusted_network"}
)

func drawRequest(t *rapid.T) pdp.Request {
	subject := pdp.Subject{Type: "user", ID: rapid.SampledFrom([]string{"alice", "bob", "carol"}).Draw(t, "subject"),
		Roles: rapid.SliceOfNDistinct(rapid.SampledFrom(propRoles), 0, 3, rapid.ID[string]).Draw(t, "roles"),
		Attributes: map[string]any{"department": rapid.SampledFrom(propDepts).Draw(t, "subject_dept"),
			"clearance": float64(rapid.IntRange(0, 3).Draw(t, "clearance"))}}
	resource := pdp.Resource{Type: rapid.SampledFrom([]string{"document", "report"}).Draw(t, "type"), ID: "r1",
		Attributes: map[string]any{"department": rapid.SampledFrom(propDepts).Draw(t, "resource_dept"),
			"owner":       rapid.SampledFrom([]string{"", "alice", "bob", "dave"}).Draw(t, "owner"),
			"sensitivity": float64(rapid.IntRange(0, 3).Draw(t, "sensitivity"))}}
	env := map[string]any{"time": rapid.SampledFrom(propTimes).Draw(t, "time")}
	if ip := rapid.SampledFrom(propIPs).Draw(t, "ip"); ip != "" {
		env["ip"] = ip
	}
	return pdp.Request{Subject: subject, Resource: resource, Environment: env,
		Action: pdp.Action{Name: rapid.SampledFrom(propActions).Draw(t, "action")}}
}

func decide(t *rapid.T, eng *engine.Engine, req pdp.Request) pdp.Result {
	res, err := eng.Evaluate(context.Background(), authoring.Query(req, time.Unix(0, 0)))
	if err != nil || res.Err != "" {
		t.Fatalf("evaluate: %v %s", err, res.Err)
	}
	return res
}

func exampleEngine(t *testing.T) *engine.Engine {
	eng, err := authoring.Open(context.Background(), bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestPropertyOutcomeShape(t *testing.T) {
	eng := exampleEngine(t)
	rapid.Check(t, func(t *rapid.T) {
		res := decide(t, eng, drawRequest(t))
		if len(res.Reasons) == 0 || !slices.IsSorted(res.Reasons) {
			t.Fatalf("reasons %q: want some, sorted", res.Reasons)
		}
		for _, r := range res.Reasons {
			if res.Allow != strings.Contains(r, " grants ") || (!res.Allow && !slices.Contains(denialSet, r)) {
				t.Fatalf("allow=%v with reason %q", res.Allow, r)
			}
		}
		if !res.Allow && len(res.Obligations) > 0 {
			t.Fatalf("a deny carries obligations %v", res.Obligations)
		}
	})
}

// A deny reason always wins: lowering the clearance below the resource's
// sensitivity denies whatever the roles, ownership or department grant.
func TestPropertyDenyReasonWins(t *testing.T) {
	eng := exampleEngine(t)
	rapid.Check(t, func(t *rapid.T) {
		req := drawRequest(t)
		req.Subject.Roles = append(req.Subject.Roles, "admin")
		sensitivity := req.Resource.Attributes["sensitivity"].(float64)
		req.Subject.Attributes["clearance"] = float64(rapid.IntRange(0, 2).Draw(t, "low_clearance"))
		if sensitivity <= req.Subject.Attributes["clearance"].(float64) {
			req.Resource.Attributes["sensitivity"] = req.Subject.Attributes["clearance"].(float64) + 1
		}
		res := decide(t, eng, req)
		if res.Allow || !slices.Contains(res.Reasons, "insufficient_clearance") {
			t.Fatalf("got allow=%v %q, want a deny with insufficient_clearance", res.Allow, res.Reasons)
		}
	})
}

// No cross-tenant allow: the department is the tenant; a subject with no
// role, who does not own the resource, never gets a resource of another
// department.
func TestPropertyNoCrossTenantAllow(t *testing.T) {
	eng := exampleEngine(t)
	rapid.Check(t, func(t *rapid.T) {
		req := drawRequest(t)
		req.Subject.Roles = nil
		req.Resource.Attributes["owner"] = "someone-else"
		if req.Subject.Attributes["department"] == req.Resource.Attributes["department"] {
			req.Resource.Attributes["department"] = "other-" + fmt.Sprint(req.Subject.Attributes["department"])
		}
		if res := decide(t, eng, req); res.Allow {
			t.Fatalf("cross-department allow: %q for %+v", res.Reasons, req)
		}
	})
}

// The same request always gets the same decision (cache and replay rely
// on it), and roles only ever add grants: removing every role never turns
// a deny into an allow.
func TestPropertyDeterministicAndMonotonic(t *testing.T) {
	eng := exampleEngine(t)
	rapid.Check(t, func(t *rapid.T) {
		req := drawRequest(t)
		a, b := decide(t, eng, req), decide(t, eng, req)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("same request, two decisions: %v / %v", a, b)
		}
		req.Subject.Roles = nil
		if c := decide(t, eng, req); c.Allow && !a.Allow {
			t.Fatalf("dropping roles turned a deny %q into an allow %q", a.Reasons, c.Reasons)
		}
	})
}

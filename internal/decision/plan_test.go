package decision_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
)

// planner answers a fixed plan (or error) and keeps the query it was asked.
type planner struct {
	plan pdp.ResourcePlan
	err  error
	got  []pdp.PlanQuery
}

func (p *planner) PlanResources(_ context.Context, q pdp.PlanQuery) (pdp.ResourcePlan, error) {
	p.got = append(p.got, q)
	return p.plan, p.err
}

var ownerIsSubject = &pdp.Condition{Op: pdp.OpEq, Operands: []pdp.Operand{
	{Field: "resource.attributes.owner"}, {Value: "alice"}}}

func conditional() pdp.ResourcePlan {
	return pdp.ResourcePlan{Kind: pdp.PlanConditional, Condition: ownerIsSubject,
		BundleRevision: "r1", BundleDigest: "d1", Entrypoint: "authz/decision"}
}

func planReq() pdp.Request {
	return pdp.Request{Subject: pdp.Subject{Type: "user", ID: "alice", Roles: []string{"viewer"}},
		Resource: pdp.Resource{Type: "doc"}, Action: pdp.Action{Name: "read"},
		Environment: map[string]any{"ip": "10.0.0.1"}, Caller: "svc-a"}
}

func TestPlanValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*pdp.Request)
		field string
	}{
		{"no subject", func(r *pdp.Request) { r.Subject.ID = "" }, "subject.id"},
		{"no resource type", func(r *pdp.Request) { r.Resource.Type = "" }, "resource_type"},
		{"resource type not UTF-8", func(r *pdp.Request) { r.Resource.Type = "\xff" }, "resource_type"},
		{"no action", func(r *pdp.Request) { r.Action.Name = "" }, "action.name"},
		{"bad environment", func(r *pdp.Request) { r.Environment = map[string]any{"x": "\xff"} }, "environment.x"},
		{"bad role", func(r *pdp.Request) { r.Subject.Roles = []string{"\xfe"} }, "subject.roles[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, p := &records{}, &planner{plan: conditional()}
			svc := decision.New(decision.Options{Recorder: rec, Planner: p})
			r := planReq()
			tc.edit(&r)
			_, _, err := svc.Plan(context.Background(), r)
			var e *pdp.Error
			if !errors.As(err, &e) || e.Code != pdp.CodeInvalidArgument || e.Field != tc.field {
				t.Fatalf("Plan error = %v, want InvalidArgument on %s", err, tc.field)
			}
			if len(rec.recs) != 0 || len(p.got) != 0 {
				t.Fatalf("an invalid plan request was planned (%d) or recorded (%d)", len(p.got), len(rec.recs))
			}
		})
	}
}

func TestPlanValidationAcceptsTokenWithoutID(t *testing.T) {
	r := planReq()
	r.Subject.ID, r.Subject.Token = "", "good"
	if err := decision.ValidatePlan(r); err != nil {
		t.Fatal(err)
	}
}

// TestPlanQueryKnowsAllButTheResource: the planner sees Check's input with
// input.resource reduced to the requested type.
func TestPlanQueryKnowsAllButTheResource(t *testing.T) {
	r := planReq()
	r.Resource = pdp.Resource{Type: "doc", ID: "d1", Attributes: map[string]any{"owner": "bob"}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	q := decision.PlanQueryOf(r, now)
	want := r.Input(now)
	want["resource"] = map[string]any{"type": "doc"}
	if !reflect.DeepEqual(q.Input, want) || q.ResourceType != "doc" {
		t.Fatalf("query %+v\nwant input %v", q, want)
	}
	if got := q.Input["environment"].(map[string]any)["time"]; got != "2026-01-02T03:04:05Z" {
		t.Fatalf("environment.time = %v", got)
	}
}

func TestPlanIsRecordedBeforeItIsAnswered(t *testing.T) {
	tests := []struct {
		name string
		plan pdp.ResourcePlan
		want map[string]any
	}{
		{"conditional", conditional(), map[string]any{"kind": "conditional", "condition": map[string]any{
			"op": "eq", "operands": []any{map[string]any{"field": "resource.attributes.owner"}, map[string]any{"value": "alice"}}}}},
		{"always allowed", pdp.ResourcePlan{Kind: pdp.PlanAlwaysAllowed, BundleRevision: "r1", Entrypoint: "authz/decision"},
			map[string]any{"kind": "always_allowed"}},
		{"always denied", pdp.ResourcePlan{Kind: pdp.PlanAlwaysDenied, BundleRevision: "r1", Entrypoint: "authz/decision"},
			map[string]any{"kind": "always_denied"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &records{}
			svc := decision.New(decision.Options{Recorder: rec, Planner: &planner{plan: tc.plan}})
			res, id, err := svc.Plan(context.Background(), planReq())
			if err != nil {
				t.Fatal(err)
			}
			if id == "" || res.Kind != tc.plan.Kind || len(rec.recs) != 1 {
				t.Fatalf("plan %+v, %d records", res, len(rec.recs))
			}
			r := rec.recs[0]
			if r.DecisionID != id || r.Kind != pdp.RecordKindPlan || !reflect.DeepEqual(r.Plan, tc.want) {
				t.Fatalf("record id %s kind %q plan %v; want %v", r.DecisionID, r.Kind, r.Plan, tc.want)
			}
			if r.SubjectID != "alice" || r.ResourceType != "doc" || r.ResourceID != "" || r.Action != "read" ||
				r.Caller != "svc-a" || r.BundleRevision != tc.plan.BundleRevision || r.Entrypoint != "authz/decision" || r.Allow {
				t.Fatalf("record %+v", r)
			}
			if res := r.Input["resource"]; !reflect.DeepEqual(res, map[string]any{"type": "doc"}) {
				t.Fatalf("recorded input.resource = %v", res)
			}
		})
	}
}

func TestPlanFailsClosed(t *testing.T) {
	refused := pdp.Errorf(pdp.CodeFailedPrecondition, "rule authz.allow: cannot express x")
	tests := []struct {
		name string
		rec  decision.Recorder
		p    *planner
		code pdp.Code
	}{
		{"audit down", failing{}, &planner{plan: conditional()}, pdp.CodeUnavailable},
		{"plan refused", &records{}, &planner{err: refused}, pdp.CodeFailedPrecondition},
		{"no kind", &records{}, &planner{plan: pdp.ResourcePlan{}}, pdp.CodeInternal},
		{"no condition", &records{}, &planner{plan: pdp.ResourcePlan{Kind: pdp.PlanConditional}}, pdp.CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := decision.New(decision.Options{Recorder: tc.rec, Planner: tc.p})
			res, id, err := svc.Plan(context.Background(), planReq())
			if pdp.ErrorCode(err) != tc.code || id != "" {
				t.Fatalf("Plan = %+v, %q, %v; want code %s", res, id, err, tc.code)
			}
			if r, ok := tc.rec.(*records); ok && len(r.recs) != 0 {
				t.Fatalf("a failed plan left %d records", len(r.recs))
			}
		})
	}
	_, _, err := decision.New(decision.Options{Recorder: &records{}}).Plan(context.Background(), planReq())
	if pdp.ErrorCode(err) != pdp.CodeUnavailable {
		t.Fatalf("Plan without a planner: %v", err)
	}
}

// TestPlanSubjectToken: the token is verified as Check verifies it; a
// refused one plans nothing and answers always denied, recorded with the
// reason and the active bundle's names.
func TestPlanSubjectToken(t *testing.T) {
	tests := []struct {
		name, token string
		kind        pdp.PlanKind
		reason      string
	}{
		{"good token", "good", pdp.PlanConditional, ""},
		{"revoked token", "revoked", pdp.PlanAlwaysDenied, pdp.ReasonTokenRevoked},
		{"invalid token", "bad", pdp.PlanAlwaysDenied, pdp.ReasonInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, p := &records{}, &planner{plan: conditional()}
			svc := decision.New(decision.Options{Recorder: rec, Planner: p, Tokens: tokens{}, Targets: targets{true}})
			r := planReq()
			r.Subject.ID, r.Subject.Token = "", tc.token
			res, _, err := svc.Plan(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != tc.kind || len(rec.recs) != 1 {
				t.Fatalf("plan %+v, %d records", res, len(rec.recs))
			}
			got := rec.recs[0]
			if tc.reason == "" {
				claims := p.got[0].Input["subject"].(map[string]any)["claims"].(map[string]any)
				if claims["dept"] != "eng" || got.SubjectID != "alice" {
					t.Fatalf("claims %v, subject %q", claims, got.SubjectID)
				}
				return
			}
			if len(p.got) != 0 || len(got.Reasons) != 1 || got.Reasons[0] != tc.reason || got.Error == "" ||
				res.BundleRevision != "r7" || got.Entrypoint != "authz/decision" {
				t.Fatalf("plan %+v, record %+v", res, got)
			}
		})
	}
}

package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
)

func fieldRef(f string) pdp.Operand { return pdp.Operand{Field: f} }
func literal(v any) pdp.Operand     { return pdp.Operand{Value: v} }

// TestConditionRoundTrip: every operator and every kind of literal crosses
// the wire and comes back as the same tree.
func TestConditionRoundTrip(t *testing.T) {
	owner := pdp.Condition{Op: pdp.OpEq, Operands: []pdp.Operand{fieldRef("resource.attributes.owner"), literal("alice")}}
	tests := []struct {
		name string
		c    pdp.Condition
	}{
		{"eq string", owner},
		{"ne number", pdp.Condition{Op: pdp.OpNe, Operands: []pdp.Operand{fieldRef("resource.attributes.level"), literal(3.0)}}},
		{"lt le gt ge", pdp.Condition{Op: pdp.OpAnd, Args: []pdp.Condition{
			{Op: pdp.OpLt, Operands: []pdp.Operand{fieldRef("resource.attributes.a"), literal(1.5)}},
			{Op: pdp.OpLe, Operands: []pdp.Operand{literal(0.0), fieldRef("resource.attributes.a")}},
			{Op: pdp.OpGt, Operands: []pdp.Operand{fieldRef("resource.attributes.b"), literal("m")}},
			{Op: pdp.OpGe, Operands: []pdp.Operand{fieldRef("resource.attributes.b"), literal("a")}},
		}}},
		{"in list", pdp.Condition{Op: pdp.OpIn, Operands: []pdp.Operand{fieldRef("resource.id"), literal([]any{"d1", "d2", 7.0})}}},
		{"exists", pdp.Condition{Op: pdp.OpExists, Operands: []pdp.Operand{fieldRef("resource.attributes.flag")}}},
		{"not or", pdp.Condition{Op: pdp.OpNot, Args: []pdp.Condition{{Op: pdp.OpOr, Args: []pdp.Condition{owner,
			{Op: pdp.OpEq, Operands: []pdp.Operand{fieldRef("resource.attributes.public"), literal(true)}}}}}}},
		{"null and object literals", pdp.Condition{Op: pdp.OpEq, Args: nil, Operands: []pdp.Operand{
			fieldRef("resource.attributes.meta"), literal(map[string]any{"k": nil, "l": []any{false}})}}},
		{"empty and", pdp.Condition{Op: pdp.OpAnd}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire, err := ToCondition(&tc.c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := FromCondition(wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*back, tc.c) {
				t.Fatalf("round trip:\n got %s\nwant %s", jsonOf(t, back), jsonOf(t, tc.c))
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestToConditionRefusesWhatTheWireCannotCarry(t *testing.T) {
	tests := []struct {
		name string
		c    *pdp.Condition
		want string
	}{
		{"nil", nil, "no condition"},
		{"unknown op", &pdp.Condition{Op: "like"}, `unknown operator "like"`},
		{"upper-case op", &pdp.Condition{Op: "EQ"}, `unknown operator "EQ"`},
		{"empty op", &pdp.Condition{}, `unknown operator ""`},
		{"unknown op below", &pdp.Condition{Op: pdp.OpAnd, Args: []pdp.Condition{{Op: "xor"}}}, `unknown operator "xor"`},
		{"literal of no JSON type", &pdp.Condition{Op: pdp.OpEq, Operands: []pdp.Operand{literal(struct{}{})}}, "operand of eq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToCondition(tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ToCondition = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestFromConditionRefusesMalformedTrees(t *testing.T) {
	tests := []struct {
		name string
		c    *pdpv1.Condition
	}{
		{"no operator", &pdpv1.Condition{}},
		{"unknown operator", &pdpv1.Condition{Op: 99}},
		{"operand with no kind", &pdpv1.Condition{Op: pdpv1.Condition_OPERATOR_EXISTS, Operands: []*pdpv1.Operand{{}}}},
		{"empty field", &pdpv1.Condition{Op: pdpv1.Condition_OPERATOR_EXISTS,
			Operands: []*pdpv1.Operand{{Kind: &pdpv1.Operand_Field{}}}}},
		{"bad child", &pdpv1.Condition{Op: pdpv1.Condition_OPERATOR_NOT, Args: []*pdpv1.Condition{{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := FromCondition(tc.c); err == nil {
				t.Fatalf("FromCondition = %+v, want an error", c)
			}
		})
	}
}

// TestToPlanRequest: the plan request becomes a domain request whose
// resource holds only the requested type; the caller comes from the
// connection.
func TestToPlanRequest(t *testing.T) {
	env, _ := structpb.NewStruct(map[string]any{"ip": "10.0.0.1"})
	attrs, _ := structpb.NewStruct(map[string]any{"dept": "eng"})
	in := &pdpv1.PlanResourcesRequest{
		Subject:      &pdpv1.Subject{Type: "user", Id: "alice", Roles: []string{"viewer"}, Attributes: attrs, Token: "t"},
		ResourceType: "doc", Action: &pdpv1.Action{Name: "read"}, Environment: env, Policy: "authz/other",
		SqlDialect: "sqlite", Columns: map[string]string{"resource.id": "doc_id"},
	}
	got := ToPlanRequest(in, "svc-a")
	want := pdp.Request{
		Subject: pdp.Subject{Type: "user", ID: "alice", Roles: []string{"viewer"},
			Attributes: map[string]any{"dept": "eng"}, Token: "t"},
		Resource: pdp.Resource{Type: "doc"}, Action: pdp.Action{Name: "read"},
		Environment: map[string]any{"ip": "10.0.0.1"}, Policy: "authz/other", Caller: "svc-a",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ToPlanRequest = %+v\nwant %+v", got, want)
	}
}

func TestPlanKinds(t *testing.T) {
	tests := []struct {
		in   pdp.PlanKind
		want pdpv1.PlanKind
	}{
		{pdp.PlanAlwaysAllowed, pdpv1.PlanKind_PLAN_KIND_ALWAYS_ALLOWED},
		{pdp.PlanAlwaysDenied, pdpv1.PlanKind_PLAN_KIND_ALWAYS_DENIED},
		{pdp.PlanConditional, pdpv1.PlanKind_PLAN_KIND_CONDITIONAL},
		{pdp.PlanUnspecified, pdpv1.PlanKind_PLAN_KIND_UNSPECIFIED},
	}
	for _, tc := range tests {
		if got := toPlanKind(tc.in); got != tc.want {
			t.Errorf("toPlanKind(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

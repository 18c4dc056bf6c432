package server

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
)

// operatorPrefix starts the name of every Condition.Operator value.
const operatorPrefix = "OPERATOR_"

// ToPlanRequest converts a PlanResourcesRequest into the domain request
// the plan use case reads: the resource holds only its type. The caller is
// the authenticated identity of the connection, never taken from the body.
func ToPlanRequest(in *pdpv1.PlanResourcesRequest, caller string) pdp.Request {
	s, a := in.GetSubject(), in.GetAction()
	return pdp.Request{
		Subject: pdp.Subject{Type: s.GetType(), ID: s.GetId(), Roles: s.GetRoles(),
			Attributes: structMap(s.GetAttributes()), Token: s.GetToken()},
		Resource:    pdp.Resource{Type: in.GetResourceType()},
		Action:      pdp.Action{Name: a.GetName(), Attributes: structMap(a.GetAttributes())},
		Environment: structMap(in.GetEnvironment()),
		Policy:      in.GetPolicy(),
		Caller:      caller,
	}
}

func toPlanKind(k pdp.PlanKind) pdpv1.PlanKind {
	switch k {
	case pdp.PlanAlwaysAllowed:
		return pdpv1.PlanKind_PLAN_KIND_ALWAYS_ALLOWED
	case pdp.PlanAlwaysDenied:
		return pdpv1.PlanKind_PLAN_KIND_ALWAYS_DENIED
	case pdp.PlanConditional:
		return pdpv1.PlanKind_PLAN_KIND_CONDITIONAL
	}
	return pdpv1.PlanKind_PLAN_KIND_UNSPECIFIED
}

// ToCondition converts a condition tree into its wire form. An operator
// the wire does not know, or a literal a google.protobuf.Value cannot
// carry, is an error.
func ToCondition(c *pdp.Condition) (*pdpv1.Condition, error) {
	if c == nil {
		return nil, errors.New("no condition")
	}
	op, ok := pdpv1.Condition_Operator_value[operatorPrefix+strings.ToUpper(string(c.Op))]
	if !ok || op == 0 || string(c.Op) != strings.ToLower(string(c.Op)) {
		return nil, fmt.Errorf("unknown operator %q", c.Op)
	}
	out := &pdpv1.Condition{Op: pdpv1.Condition_Operator(op)}
	for i := range c.Args {
		arg, err := ToCondition(&c.Args[i])
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, arg)
	}
	for _, o := range c.Operands {
		operand, err := toOperand(o)
		if err != nil {
			return nil, fmt.Errorf("operand of %s: %w", c.Op, err)
		}
		out.Operands = append(out.Operands, operand)
	}
	return out, nil
}

func toOperand(o pdp.Operand) (*pdpv1.Operand, error) {
	if o.IsField() {
		return &pdpv1.Operand{Kind: &pdpv1.Operand_Field{Field: o.Field}}, nil
	}
	v, err := structpb.NewValue(o.Value)
	if err != nil {
		return nil, err
	}
	return &pdpv1.Operand{Kind: &pdpv1.Operand_Value{Value: v}}, nil
}

// FromCondition converts a wire condition back into the domain tree, as a
// client reads it: literals become JSON values. An unknown operator or an
// operand that is neither a field nor a value is an error.
func FromCondition(c *pdpv1.Condition) (*pdp.Condition, error) {
	if c.GetOp() == pdpv1.Condition_OPERATOR_UNSPECIFIED {
		return nil, errors.New("condition without an operator")
	}
	name, ok := pdpv1.Condition_Operator_name[int32(c.GetOp())]
	if !ok {
		return nil, fmt.Errorf("unknown operator %d", c.GetOp())
	}
	out := &pdp.Condition{Op: pdp.Op(strings.ToLower(strings.TrimPrefix(name, operatorPrefix)))}
	for _, a := range c.GetArgs() {
		arg, err := FromCondition(a)
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, *arg)
	}
	for _, o := range c.GetOperands() {
		switch k := o.GetKind().(type) {
		case *pdpv1.Operand_Field:
			if k.Field == "" {
				return nil, fmt.Errorf("operand of %s names an empty field", out.Op)
			}
			out.Operands = append(out.Operands, pdp.Operand{Field: k.Field})
		case *pdpv1.Operand_Value:
			out.Operands = append(out.Operands, pdp.Operand{Value: plainValue(k.Value)})
		default:
			return nil, fmt.Errorf("operand of %s is neither a field nor a value", out.Op)
		}
	}
	return out, nil
}

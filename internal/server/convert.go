package server

import (
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
)

// toRequest converts a CheckRequest into the domain request. The caller is
// the authenticated identity of the connection, never taken from the body.
func toRequest(in *pdpv1.CheckRequest, caller string) pdp.Request {
	s, r, a := in.GetSubject(), in.GetResource(), in.GetAction()
	return pdp.Request{
		Subject: pdp.Subject{Type: s.GetType(), ID: s.GetId(), Roles: s.GetRoles(),
			Attributes: structMap(s.GetAttributes()), Token: s.GetToken()},
		Resource:    pdp.Resource{Type: r.GetType(), ID: r.GetId(), Attributes: structMap(r.GetAttributes())},
		Action:      pdp.Action{Name: a.GetName(), Attributes: structMap(a.GetAttributes())},
		Environment: structMap(in.GetEnvironment()),
		Policy:      in.GetPolicy(),
		Explain:     in.GetExplain(),
		Caller:      caller,
	}
}

// structMap converts attributes as Struct.AsMap does, except that NaN and
// the infinities stay numbers (AsMap turns them into the strings "NaN" and
// "Infinity"), so that validation refuses them instead of letting Rego see
// a string where the caller sent a number.
func structMap(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return fieldsMap(s)
}

func fieldsMap(s *structpb.Struct) map[string]any {
	m := make(map[string]any, len(s.GetFields()))
	for k, v := range s.GetFields() {
		m[k] = plainValue(v)
	}
	return m
}

func plainValue(v *structpb.Value) any {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		return k.NumberValue
	case *structpb.Value_StructValue:
		return fieldsMap(k.StructValue)
	case *structpb.Value_ListValue:
		items := make([]any, len(k.ListValue.GetValues()))
		for i, e := range k.ListValue.GetValues() {
			items[i] = plainValue(e)
		}
		return items
	}
	return v.AsInterface() // null, string, bool
}

// toResponse converts a decision into its wire form.
func toResponse(d pdp.Decision) (*pdpv1.CheckResponse, error) {
	out := &pdpv1.CheckResponse{
		Allow: d.Allow, Reasons: d.Reasons, DecisionId: d.ID,
		BundleRevision: d.BundleRevision, CacheHit: d.CacheHit, Explanation: d.Explanation,
	}
	if d.Obligations != nil {
		ob, err := structpb.NewStruct(d.Obligations)
		if err != nil {
			return nil, fmt.Errorf("encode obligations of decision %s: %w", d.ID, err)
		}
		out.Obligations = ob
	}
	return out, nil
}

// ToRequest converts a CheckRequest into the domain request exactly as the
// gRPC handlers do; tools that evaluate CheckRequest JSON offline (pdp test,
// pdp eval) use it so that they see the server's defaults.
func ToRequest(in *pdpv1.CheckRequest, caller string) pdp.Request {
	return toRequest(in, caller)
}

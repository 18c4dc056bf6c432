package authn

import (
	"context"

	"github.com/pdp-project/pdp/internal/pdp"
)

// SystemPolicy evaluates the Rego system policy data.system.authz.allow
// (*engine.Engine implements it).
type SystemPolicy interface {
	Authorize(ctx context.Context, method, caller string, explain bool) (bool, error)
}

// PolicyAuthorizer decides who may call what with the system policy: an
// explicit true lets the call through, anything else refuses it with
// pdp.CodePermissionDenied. A failing system policy also refuses (Internal).
type PolicyAuthorizer struct {
	Policy SystemPolicy
}

// Authorize returns nil when caller may call method.
func (a PolicyAuthorizer) Authorize(ctx context.Context, method, caller string, explain bool) error {
	ok, err := a.Policy.Authorize(ctx, method, caller, explain)
	switch {
	case err != nil:
		return &pdp.Error{Code: pdp.CodeInternal, Msg: "system policy failed", Err: err}
	case ok:
		return nil
	case explain:
		return pdp.Errorf(pdp.CodePermissionDenied, "caller %q may not call %s with explain", caller, method)
	default:
		return pdp.Errorf(pdp.CodePermissionDenied, "caller %q may not call %s", caller, method)
	}
}

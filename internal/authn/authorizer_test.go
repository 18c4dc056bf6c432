package authn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

type policyFunc func(method, caller string, explain bool) (bool, error)

func (f policyFunc) Authorize(_ context.Context, method, caller string, explain bool) (bool, error) {
	return f(method, caller, explain)
}

func TestPolicyAuthorizer(t *testing.T) {
	tests := []struct {
		name  string
		allow bool
		err   error
		want  pdp.Code
	}{
		{"allowed", true, nil, ""},
		{"refused", false, nil, pdp.CodePermissionDenied},
		{"policy error", true, errors.New("boom"), pdp.CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := authn.PolicyAuthorizer{Policy: policyFunc(func(string, string, bool) (bool, error) { return tc.allow, tc.err })}
			err := a.Authorize(context.Background(), "/pdp.v1.AuditService/QueryDecisions", "svc", false)
			if tc.want == "" && err != nil || tc.want != "" && pdp.ErrorCode(err) != tc.want {
				t.Fatalf("err = %v, want code %q", err, tc.want)
			}
		})
	}
}

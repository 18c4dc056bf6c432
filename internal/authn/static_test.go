package authn

import (
	"context"
	"testing"

	"github.com/pdp-project/pdp/internal/pdp"
)

func TestListsAuthorize(t *testing.T) {
	l := Lists{Auditors: []string{"local", "spiffe://x/auditor"}, PolicyAuthors: []string{"author"}}
	tests := []struct {
		name, method, caller string
		explain, allowed     bool
	}{
		{"check by anyone", "/pdp.v1.AuthorizationService/Check", "", false, true},
		{"audit by auditor", "/pdp.v1.AuditService/QueryDecisions", "local", false, true},
		{"audit by other", "/pdp.v1.AuditService/QueryDecisions", "svc", false, false},
		{"audit anonymous", "/pdp.v1.AuditService/GetDecision", "", false, false},
		{"explain by author", "/pdp.v1.AuthorizationService/Check", "author", true, true},
		{"explain by auditor", "/pdp.v1.AuthorizationService/Check", "local", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := l.Authorize(context.Background(), tc.method, tc.caller, tc.explain)
			if tc.allowed != (err == nil) {
				t.Fatalf("err = %v, want allowed=%v", err, tc.allowed)
			}
			if err != nil && pdp.ErrorCode(err) != pdp.CodePermissionDenied {
				t.Fatalf("code = %v", pdp.ErrorCode(err))
			}
		})
	}
}

func TestFromRemoteAddr(t *testing.T) {
	tests := map[string]string{"127.0.0.1:5000": Local, "[::1]:80": Local, "10.1.2.3:99": Anonymous, "garbage": Anonymous}
	for addr, want := range tests {
		if got := FromRemoteAddr(addr); got != want {
			t.Errorf("FromRemoteAddr(%q) = %q, want %q", addr, got, want)
		}
	}
}

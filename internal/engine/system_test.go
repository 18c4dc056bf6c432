package engine_test

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
)

const (
	checkMethod = "/pdp.v1.AuthorizationService/Check"
	auditMethod = "/pdp.v1.AuditService/QueryDecisions"
)

func systemEngine() *engine.Engine {
	return engine.New(engine.Options{System: engine.SystemConfig{
		Auditors: []string{"local", "spiffe://x/auditor"}, PolicyAuthors: []string{"author"},
	}})
}

// TestDefaultSystemAuthz is the embedded policy, before and after a bundle
// without system rules is active.
func TestDefaultSystemAuthz(t *testing.T) {
	tests := []struct {
		name, method, caller string
		explain, want        bool
	}{
		{"check by local", checkMethod, "local", false, true},
		{"check by anonymous", checkMethod, "", false, true},
		{"batch by service", "/pdp.v1.AuthorizationService/CheckBatch", "spiffe://x/svc", false, true},
		{"ext_authz", "/envoy.service.auth.v3.Authorization/Check", "svc", false, true},
		{"authzen by anonymous", "/access/v1/evaluation", "", false, true},
		{"authzen search by local", "/access/v1/search/resource", "local", false, true},
		{"audit by auditor", auditMethod, "spiffe://x/auditor", false, true},
		{"audit by local auditor", "/pdp.v1.AuditService/VerifyTrail", "local", false, true},
		{"audit by other", auditMethod, "spiffe://x/svc", false, false},
		{"audit by anonymous", auditMethod, "", false, false},
		{"explain by author", checkMethod, "author", true, true},
		{"explain by auditor", checkMethod, "local", true, false},
		{"explain by anonymous", checkMethod, "", true, false},
		{"unknown method", "/other.Service/Do", "local", false, false},
	}
	e := systemEngine()
	for _, phase := range []string{"no bundle", "bundle"} {
		if phase == "bundle" {
			activate(t, e, map[string]*bundle.Bundle{"a": allowIf(t, "1", "alice")})
		}
		for _, tc := range tests {
			t.Run(phase+"/"+tc.name, func(t *testing.T) {
				got, err := e.Authorize(context.Background(), tc.method, tc.caller, tc.explain)
				if err != nil || got != tc.want {
					t.Fatalf("Authorize = %v, %v; want %v", got, err, tc.want)
				}
			})
		}
	}
}

// TestBundleSystemAuthz: a bundle carrying data.system.authz replaces the
// default, and sees data.system.config from the flags.
func TestBundleSystemAuthz(t *testing.T) {
	e := systemEngine()
	sys := policy(t, "s1", "system", `package system.authz
allow if input.caller.id in data.system.config.policy_authors
`, nil)
	activate(t, e, map[string]*bundle.Bundle{"a": allowIf(t, "1", "alice"), "sys": sys})
	tests := []struct {
		caller string
		want   bool
	}{{"author", true}, {"local", false}, {"", false}}
	for _, tc := range tests {
		got, err := e.Authorize(context.Background(), auditMethod, tc.caller, false)
		if err != nil || got != tc.want {
			t.Errorf("caller %q: Authorize = %v, %v; want %v", tc.caller, got, err, tc.want)
		}
	}
}

func TestRevokedJTI(t *testing.T) {
	tests := map[string]any{
		"array":  []any{"j1", "j2"},
		"object": map[string]any{"j1": true, "j2": "2026-01-01"},
	}
	for name, list := range tests {
		t.Run(name, func(t *testing.T) {
			e := systemEngine()
			if e.Revoked("j1") {
				t.Fatal("revoked before any bundle")
			}
			sys := policy(t, "s1", "system", "package system.other\n", nil)
			sys.Data = map[string]any{"system": map[string]any{"revoked_jti": list}}
			activate(t, e, map[string]*bundle.Bundle{"a": allowIf(t, "1", "alice"), "sys": sys})
			if !e.Revoked("j1") || !e.Revoked("j2") || e.Revoked("j3") {
				t.Fatalf("Revoked j1=%v j2=%v j3=%v", e.Revoked("j1"), e.Revoked("j2"), e.Revoked("j3"))
			}
		})
	}
}

// BenchmarkAuthorize is the system policy's cost on every call (default
// policy, bundle active).
func BenchmarkAuthorize(b *testing.B) {
	e := systemEngine()
	activate(b, e, map[string]*bundle.Bundle{"a": allowIf(b, "1", "alice")})
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := e.Authorize(context.Background(), checkMethod, "spiffe://x/svc", false); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

package e2e

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authn/authntest"
)

const (
	svcID     = "spiffe://e2e.test/ns/shop/sa/checkout"
	auditorID = "spiffe://e2e.test/ns/sec/sa/auditor"
	authorID  = "author.e2e.test"
)

func checkRequest(subject string) *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{
		Subject:  &pdpv1.Subject{Type: "user", Id: subject, Roles: []string{"viewer"}},
		Resource: &pdpv1.Resource{Type: "document", Id: "d1"},
		Action:   &pdpv1.Action{Name: "read"},
	}
}

// TestSecurityTLS runs one mTLS server for the transport and caller tests
// and the token tests (security_token_test.go), then greps its log and
// database for the tokens.
func TestSecurityTLS(t *testing.T) {
	s := startTLSPDP(t, "--auditors", auditorID, "--policy-authors", authorID)
	t.Run("plaintext client refused", func(t *testing.T) {
		_, err := pdpv1.NewAuthorizationServiceClient(dial(t, s.grpcAddr)).Check(ctxT(t), checkRequest("p1"))
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("plaintext Check: %v, want Unavailable (no connection)", err)
		}
		if resp, err := http.Get("http://" + s.httpAddr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest { // Go's TLS server answers plain HTTP with 400
				t.Fatalf("plaintext HTTP: status %d", resp.StatusCode)
			}
		}
	})
	t.Run("client without certificate refused", func(t *testing.T) {
		_, err := s.client(t, authntest.Identity{}).Check(ctxT(t), checkRequest("p2"))
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("Check without a client certificate: %v, want Unavailable", err)
		}
		if _, err := s.httpsGet(s.identity(t, authntest.Identity{}), "/readyz"); err == nil {
			t.Fatal("HTTPS without a client certificate answered")
		}
	})
	t.Run("identities reach the audit record", func(t *testing.T) { testIdentities(t, s) })
	t.Run("audit service only for auditors", func(t *testing.T) { testAuditAccess(t, s) })
	t.Run("explain only for policy authors", func(t *testing.T) { testExplainAccess(t, s) })
	tokens := testTokenAttacks(t, s)
	t.Run("no token in logs or database", func(t *testing.T) { testNoTokenStored(t, s, tokens) })
}

func testIdentities(t *testing.T, s *tlsPDP) {
	tests := []struct {
		name string
		id   authntest.Identity
		want string
	}{
		{"spiffe", authntest.Identity{URI: svcID, DNS: "checkout.e2e.test", CN: "checkout"}, svcID},
		{"dns", authntest.Identity{DNS: "billing.e2e.test", CN: "billing"}, "billing.e2e.test"},
		{"cn", authntest.Identity{CN: "reports"}, "reports"},
	}
	for _, tc := range tests {
		resp, err := s.client(t, tc.id).Check(ctxT(t), checkRequest("id-"+tc.name))
		if err != nil {
			t.Fatalf("%s: Check: %v", tc.name, err)
		}
		var caller string
		row := s.auditDB(t).QueryRow(`SELECT caller FROM decisions WHERE decision_id = ?`, resp.GetDecisionId())
		if err := row.Scan(&caller); err != nil || caller != tc.want {
			t.Errorf("%s: audit caller = %q (%v), want %q", tc.name, caller, err, tc.want)
		}
	}
}

func testAuditAccess(t *testing.T, s *tlsPDP) {
	query := func(id string) (*pdpv1.QueryDecisionsResponse, error) {
		c := pdpv1.NewAuditServiceClient(s.conn(t, s.identity(t, authntest.Identity{URI: id})))
		return c.QueryDecisions(ctxT(t), &pdpv1.QueryDecisionsRequest{Caller: svcID})
	}
	if _, err := query(svcID); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("non-auditor QueryDecisions: %v, want PermissionDenied", err)
	}
	resp, err := query(auditorID)
	if err != nil || len(resp.GetRecords()) == 0 {
		t.Fatalf("auditor QueryDecisions: %v, %d records", err, len(resp.GetRecords()))
	}
}

func testExplainAccess(t *testing.T, s *tlsPDP) {
	req := checkRequest("explainer")
	req.Explain = true
	if _, err := s.client(t, authntest.Identity{URI: svcID}).Check(ctxT(t), req); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("explain by a service: %v, want PermissionDenied", err)
	}
	resp, err := s.client(t, authntest.Identity{DNS: authorID}).Check(ctxT(t), req)
	if err != nil {
		t.Fatalf("explain by a policy author: %v", err)
	}
	if !strings.Contains(resp.GetExplanation(), "by authz/decision") || !strings.Contains(resp.GetExplanation(), "decided by:") {
		t.Fatalf("explanation for a policy author:\n%s", resp.GetExplanation())
	}
	plain := checkRequest("explainer")
	if resp, err := s.client(t, authntest.Identity{URI: svcID}).Check(ctxT(t), plain); err != nil || resp.GetExplanation() != "" {
		t.Fatalf("Check without explain: %v, explanation %q; want none", err, resp.GetExplanation())
	}
}

// TestPrintConfigHidesSecrets: passwords in URLs, from flags or PDP_*
// variables, never reach --print-config; secret files appear as paths.
func TestPrintConfigHidesSecrets(t *testing.T) {
	secret := authntest.WriteFile(t, t.TempDir(), "hmac", []byte("hmac-s3cret-value"))
	out, code := runPDP(t, "", "serve", "--print-config", "--bundle", "bundles/example",
		"--redis-url", "redis://default:redis-s3cret@127.0.0.1:6379/0",
		"--jwks-url", "https://jwks-user:jwks-s3cret@idp.e2e/keys?access_token=tok-s3cret",
		"--jwt-hmac-secret-file", secret)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, s := range []string{"redis-s3cret", "jwks-s3cret", "tok-s3cret", "hmac-s3cret-value"} {
		if strings.Contains(out, s) {
			t.Errorf("--print-config shows %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, secret) || !strings.Contains(out, "rate_limit") {
		t.Errorf("--print-config lacks the secret file path or rate_limit:\n%s", out)
	}
}

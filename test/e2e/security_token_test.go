package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/authn/authntest"
)

func tokenClaims(over map[string]any) map[string]any {
	c := map[string]any{"sub": "alice", "iss": "https://idp.e2e", "aud": "pdp", "jti": "j-1",
		"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix()}
	for k, v := range over {
		c[k] = v
	}
	return c
}

// testTokenAttacks sends each attack as subject.token and expects a deny
// with the PDP's reason, audited with a cause. It returns every token sent.
func testTokenAttacks(t *testing.T, s *tlsPDP) []string {
	k := s.keys
	sign := func(alg, kid string, over map[string]any, hmacKey []byte) string {
		return k.Sign(t, alg, kid, tokenClaims(over), hmacKey)
	}
	valid := sign("RS256", authntest.RSAKid, nil, nil)
	parts := strings.Split(valid, ".")
	forged := strings.Split(sign("RS256", authntest.RSAKid, map[string]any{"sub": "root"}, nil), ".")
	pubPEM := k.RSAPublicPEM(t)
	hour := time.Hour
	tests := []struct{ name, token, id, reason string }{
		{"valid RS256", valid, "", ""},
		{"valid EdDSA with matching id", sign("EdDSA", authntest.EdKid, nil, nil), "alice", ""},
		{"alg none", sign("none", authntest.RSAKid, nil, nil), "", "invalid_token"},
		{"HS256 signed with the public key", sign("HS256", authntest.RSAKid, nil, pubPEM), "", "invalid_token"},
		{"expired", sign("RS256", authntest.RSAKid, map[string]any{"exp": time.Now().Add(-hour).Unix()}, nil), "", "invalid_token"},
		{"not yet valid", sign("RS256", authntest.RSAKid, map[string]any{"nbf": time.Now().Add(hour).Unix()}, nil), "", "invalid_token"},
		{"wrong iss", sign("RS256", authntest.RSAKid, map[string]any{"iss": "https://evil"}, nil), "", "invalid_token"},
		{"wrong aud", sign("RS256", authntest.RSAKid, map[string]any{"aud": "other"}, nil), "", "invalid_token"},
		{"unknown kid", sign("RS256", "rsa-9", nil, nil), "", "invalid_token"},
		{"payload changed after signing", parts[0] + "." + forged[1] + "." + parts[2], "", "invalid_token"},
		{"bad signature", parts[0] + "." + parts[1] + "." + forged[2], "", "invalid_token"},
		{"oversized token (9 KiB)", parts[0] + "." + strings.Repeat("A", 9<<10) + "." + parts[2], "", "invalid_token"},
		{"revoked jti", sign("ES256", authntest.ECKid, map[string]any{"jti": "revoked-1"}, nil), "", "token_revoked"},
		{"subject.id differs from sub", valid, "mallory", "invalid_token"},
	}
	client := s.client(t, authntest.Identity{URI: svcID})
	db := s.auditDB(t)
	var sent []string
	for _, tc := range tests {
		t.Run("token/"+tc.name, func(t *testing.T) {
			req := checkRequest(tc.id)
			req.Subject.Token = tc.token
			sent = append(sent, tc.token)
			resp, err := client.Check(ctxT(t), req)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			var subject, reasons, cause string
			waitFor(t, 15*time.Second, func() bool { // the trail's table takes it within a second or two
				row := db.QueryRow(`SELECT subject_id, reasons, error FROM decisions WHERE decision_id = ?`, resp.GetDecisionId())
				return row.Scan(&subject, &reasons, &cause) == nil
			})
			if tc.reason == "" {
				if subject != "alice" || strings.Contains(reasons, "token") {
					t.Fatalf("valid token: subject %q reasons %s", subject, reasons)
				}
				return
			}
			if resp.GetAllow() || len(resp.GetReasons()) != 1 || resp.GetReasons()[0] != tc.reason {
				t.Fatalf("allow=%v reasons=%v, want deny %s", resp.GetAllow(), resp.GetReasons(), tc.reason)
			}
			if cause == "" || !strings.Contains(reasons, tc.reason) {
				t.Fatalf("audit: reasons %s error %q", reasons, cause)
			}
			if resp.GetBundleRevision() == "" {
				t.Fatal("a token deny names no bundle revision while a bundle is active")
			}
		})
	}
	t.Run("token/1 MiB token", func(t *testing.T) {
		req := checkRequest("")
		req.Subject.Token = parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2]
		// The request itself is over the 1 MiB limit: refused before it is a decision.
		if _, err := client.Check(ctxT(t), req); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("1 MiB token: %v, want InvalidArgument", err)
		}
	})
	return sent
}

// testNoTokenStored stops the server, then looks for every token, and for
// every signature segment, in the log and in the database files.
func testNoTokenStored(t *testing.T, s *tlsPDP, tokens []string) {
	if err := s.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	blobs := map[string][]byte{"log": s.log.Bytes()}
	files, _ := filepath.Glob(filepath.Join(s.dataDir, "audit.db*"))
	segments, _ := filepath.Glob(filepath.Join(s.dataDir, "audit.db.journal", "*"))
	files = append(files, segments...)
	for _, f := range files {
		if info, err := os.Stat(f); err == nil && info.IsDir() {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blobs[filepath.Base(f)] = b
	}
	if len(files) == 0 || len(tokens) == 0 {
		t.Fatalf("nothing to grep: %d files, %d tokens", len(files), len(tokens))
	}
	for _, tok := range tokens {
		needles := []string{tok}
		if parts := strings.Split(tok, "."); len(parts) == 3 && len(parts[2]) > 16 {
			needles = append(needles, parts[2])
		}
		for name, blob := range blobs {
			for _, n := range needles {
				if bytes.Contains(blob, []byte(n)) {
					t.Errorf("%s holds a token (or its signature) %.20s...", name, n)
				}
			}
		}
	}
}

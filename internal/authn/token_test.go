package authn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
	"github.com/pdp-project/pdp/internal/pdp"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	issuer   = "https://idp.example"
	audience = "pdp"
)

type staticSet struct{ set jwk.Set }

func (s staticSet) Keys(context.Context, bool) (jwk.Set, error) { return s.set, nil }

func verifier(tb testing.TB, keys *authntest.Keys, secret []byte) *authn.TokenVerifier {
	tb.Helper()
	set, err := jwk.Parse(keys.JWKS)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := authn.NewTokenVerifier(authn.TokenOptions{
		Keys: staticSet{set}, HMACSecret: secret, Issuer: issuer, Audience: audience,
		Leeway: 30 * time.Second, Clock: func() time.Time { return now },
		Revoked: func(jti string) bool { return jti == "revoked-1" },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// claims are valid claims at now, with overrides applied (nil deletes).
func claims(overrides map[string]any) map[string]any {
	c := map[string]any{"sub": "alice", "iss": issuer, "aud": audience, "jti": "j-1",
		"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "dept": "eng"}
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// TestTokenAttacks: every attack is refused with the right reason; valid
// tokens of every accepted algorithm verify.
func TestTokenAttacks(t *testing.T) {
	keys := authntest.NewKeys(t)
	secret := []byte("a-configured-hmac-secret-of-32-bytes!")
	sign := func(alg, kid string, over map[string]any) string { return keys.Sign(t, alg, kid, claims(over), secret) }
	valid := sign("RS256", authntest.RSAKid, nil)
	parts := strings.Split(valid, ".")
	forged := strings.Split(sign("RS256", authntest.RSAKid, map[string]any{"sub": "mallory"}), ".")
	tests := []struct {
		name, token, reason string
		secret              []byte
	}{
		{"RS256 valid", valid, "", nil},
		{"ES256 valid", sign("ES256", authntest.ECKid, nil), "", nil},
		{"EdDSA valid", sign("EdDSA", authntest.EdKid, nil), "", nil},
		{"HS256 with configured secret", sign("HS256", "", nil), "", secret},
		{"exp within leeway", sign("RS256", authntest.RSAKid, map[string]any{"exp": now.Add(-20 * time.Second).Unix()}), "", nil},
		{"alg none", keys.Sign(t, "none", authntest.RSAKid, claims(nil), nil), pdp.ReasonInvalidToken, nil},
		{"HS256 with RSA public key, no secret configured", keys.Sign(t, "HS256", authntest.RSAKid, claims(nil), keys.RSAPublicPEM(t)), pdp.ReasonInvalidToken, nil},
		{"HS256 with RSA public key, secret configured", keys.Sign(t, "HS256", authntest.RSAKid, claims(nil), keys.RSAPublicPEM(t)), pdp.ReasonInvalidToken, secret},
		{"HS256 without secret", sign("HS256", "", nil), pdp.ReasonInvalidToken, nil},
		{"expired", sign("RS256", authntest.RSAKid, map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}), pdp.ReasonInvalidToken, nil},
		{"not yet valid", sign("RS256", authntest.RSAKid, map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}), pdp.ReasonInvalidToken, nil},
		{"no exp", sign("RS256", authntest.RSAKid, map[string]any{"exp": nil}), pdp.ReasonInvalidToken, nil},
		{"wrong iss", sign("RS256", authntest.RSAKid, map[string]any{"iss": "https://evil.example"}), pdp.ReasonInvalidToken, nil},
		{"wrong aud", sign("RS256", authntest.RSAKid, map[string]any{"aud": "other"}), pdp.ReasonInvalidToken, nil},
		{"unknown kid", sign("RS256", "rsa-2", nil), pdp.ReasonInvalidToken, nil},
		{"kid of another key type", sign("RS256", authntest.ECKid, nil), pdp.ReasonInvalidToken, nil},
		{"payload changed after signing", parts[0] + "." + forged[1] + "." + parts[2], pdp.ReasonInvalidToken, nil},
		{"bad signature", parts[0] + "." + parts[1] + "." + forged[2], pdp.ReasonInvalidToken, nil},
		{"1 MiB token", parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2], pdp.ReasonInvalidToken, nil},
		{"revoked jti", sign("RS256", authntest.RSAKid, map[string]any{"jti": "revoked-1"}), pdp.ReasonTokenRevoked, nil},
		{"not a JWS", "not.a-token", pdp.ReasonInvalidToken, nil},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, pdp.ReasonInvalidToken, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verifier(t, keys, tc.secret).Verify(context.Background(), tc.token)
			if tc.reason == "" {
				if err != nil || got["sub"] != "alice" || got["dept"] != "eng" {
					t.Fatalf("Verify = %v, %v; want the claims", got, err)
				}
				return
			}
			var te *authn.TokenError
			if !errors.As(err, &te) || te.Reason() != tc.reason {
				t.Fatalf("Verify error = %v; want reason %s", err, tc.reason)
			}
			if strings.Contains(te.Error(), tc.token[:min(len(tc.token), 40)]) {
				t.Fatalf("error message quotes the token: %v", te)
			}
		})
	}
}

func TestNewTokenVerifierRejects(t *testing.T) {
	for name, opts := range map[string]authn.TokenOptions{
		"alg none":     {Algorithms: []string{"RS256", "none"}},
		"leeway > 60s": {Leeway: 61 * time.Second},
	} {
		if _, err := authn.NewTokenVerifier(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNoKeysIsUnverifiable(t *testing.T) {
	keys := authntest.NewKeys(t)
	v, err := authn.NewTokenVerifier(authn.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), keys.Sign(t, "RS256", authntest.RSAKid, claims(nil), nil))
	var te *authn.TokenError
	if !errors.As(err, &te) || te.Reason() != pdp.ReasonTokenUnverifiable {
		t.Fatalf("err = %v; want token_unverifiable", err)
	}
}

// FuzzVerify: arbitrary strings never panic, never verify, and errors never
// quote the input.
func FuzzVerify(f *testing.F) {
	keys := authntest.NewKeys(f)
	v := verifier(f, keys, []byte("secret"))
	valid := keys.Sign(f, "RS256", authntest.RSAKid, claims(nil), nil)
	for _, seed := range []string{valid, valid[:len(valid)-3], "a.b.c", "..", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.",
		keys.Sign(f, "none", "", claims(nil), nil), keys.Sign(f, "HS256", "", claims(nil), []byte("x"))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		got, err := v.Verify(context.Background(), token)
		if err == nil {
			// Only the valid token (or a base64 spelling of its bytes) verifies.
			if got["sub"] != "alice" || !strings.HasPrefix(token, valid[:strings.LastIndexByte(valid, '.')]) {
				t.Fatalf("Verify accepted %q: %v", token, got)
			}
			return
		}
		var te *authn.TokenError
		if !errors.As(err, &te) {
			t.Fatalf("error %v is not a TokenError", err)
		}
		if len(token) > 70 && strings.Contains(err.Error(), token) {
			t.Fatalf("error quotes the token")
		}
	})
}

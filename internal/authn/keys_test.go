package authn_test

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestRemoteKeysRefreshOnUnknownKid: a kid missing from the cached set
// triggers one refetch; a JWKS endpoint that is down makes tokens
// unverifiable.
func TestRemoteKeysRefreshOnUnknownKid(t *testing.T) {
	keys := authntest.NewKeys(t)
	rsaOnly := authntest.PublicJWKS(t, map[string]crypto.PublicKey{authntest.RSAKid: &keys.RSA.PublicKey})
	var served atomic.Pointer[[]byte]
	served.Store(&rsaOnly)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		w.Write(*served.Load())
	}))
	defer srv.Close()
	clock := now
	remote := authn.NewRemoteKeys(srv.URL, authn.RemoteOptions{Client: srv.Client(), MinRefresh: time.Second, Clock: func() time.Time { return clock }})
	v, err := authn.NewTokenVerifier(authn.TokenOptions{Keys: remote, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(kid, alg string) error {
		_, err := v.Verify(context.Background(), keys.Sign(t, alg, kid, claims(nil), nil))
		return err
	}
	if err := verify(authntest.RSAKid, "RS256"); err != nil || fetches.Load() != 1 {
		t.Fatalf("RS256: %v after %d fetches", err, fetches.Load())
	}
	served.Store(&keys.JWKS) // the issuer rotates in an EC key
	clock = clock.Add(2 * time.Second)
	if err := verify(authntest.ECKid, "ES256"); err != nil || fetches.Load() != 2 {
		t.Fatalf("ES256 after rotation: %v after %d fetches", err, fetches.Load())
	}
	if err := verify("nope", "ES256"); reason(err) != pdp.ReasonInvalidToken || fetches.Load() != 2 {
		t.Fatalf("unknown kid within MinRefresh: %v after %d fetches", err, fetches.Load())
	}
	down := authn.NewRemoteKeys(srv.URL+"/missing", authn.RemoteOptions{Client: srv.Client()})
	srv.Config.Handler = http.NotFoundHandler()
	v, _ = authn.NewTokenVerifier(authn.TokenOptions{Keys: down, Clock: func() time.Time { return now }})
	if err := verify(authntest.RSAKid, "RS256"); reason(err) != pdp.ReasonTokenUnverifiable {
		t.Fatalf("JWKS down: %v, want token_unverifiable", err)
	}
}

func reason(err error) string {
	var te *authn.TokenError
	if errors.As(err, &te) {
		return te.Reason()
	}
	return ""
}

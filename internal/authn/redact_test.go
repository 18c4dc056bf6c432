package authn_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/authn/authntest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestJWKSErrorsHideURLSecrets: whatever makes the JWKS fetch fail, neither
// the key source's error nor the token error (logged, audited) repeats the
// user info or the query of --jwks-url.
func TestJWKSErrorsHideURLSecrets(t *testing.T) {
	const password, token = "JPASS", "JTOK"
	withSecrets := func(u string) string {
		return strings.Replace(u, "http://", "http://ju:"+password+"@", 1) + "/jwks?key=" + token
	}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer failing.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("not a key set"))
	}))
	defer garbage.Close()
	tests := map[string]string{
		"invalid URL":        withSecrets("http://h:port"),
		"connection refused": withSecrets("http://" + closedAddr(t)),
		"server error":       withSecrets(failing.URL),
		"not a key set":      withSecrets(garbage.URL),
	}
	keys := authntest.NewKeys(t)
	for name, url := range tests {
		t.Run(name, func(t *testing.T) {
			_, keysErr := authn.NewRemoteKeys(url, authn.RemoteOptions{}).Keys(context.Background(), false)
			v, err := authn.NewTokenVerifier(authn.TokenOptions{Keys: authn.NewRemoteKeys(url, authn.RemoteOptions{}),
				Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			_, verifyErr := v.Verify(context.Background(), keys.Sign(t, "RS256", authntest.RSAKid, claims(nil), nil))
			if keysErr == nil || reason(verifyErr) != pdp.ReasonTokenUnverifiable {
				t.Fatalf("Keys: %v, Verify: %v; want errors, token_unverifiable", keysErr, verifyErr)
			}
			for _, text := range []string{keysErr.Error(), verifyErr.Error()} {
				if strings.Contains(text, password) || strings.Contains(text, token) {
					t.Errorf("error shows a secret of the URL: %s", text)
				}
			}
		})
	}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

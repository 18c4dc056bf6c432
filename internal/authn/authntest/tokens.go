package authntest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Key ids of the keys in Keys.JWKS.
const (
	RSAKid = "rsa-1"
	ECKid  = "ec-1"
	EdKid  = "ed-1"
)

// Keys are one signing key per asymmetric algorithm and their public JWKS.
type Keys struct {
	RSA  *rsa.PrivateKey
	EC   *ecdsa.PrivateKey
	Ed   ed25519.PrivateKey
	JWKS []byte
}

// NewKeys generates the keys (RSA 2048, P-256, Ed25519).
func NewKeys(tb testing.TB) *Keys {
	tb.Helper()
	k := &Keys{}
	var err error
	if k.RSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		tb.Fatal(err)
	}
	if k.EC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		tb.Fatal(err)
	}
	if _, k.Ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		tb.Fatal(err)
	}
	k.JWKS = PublicJWKS(tb, map[string]crypto.PublicKey{
		RSAKid: &k.RSA.PublicKey, ECKid: &k.EC.PublicKey, EdKid: k.Ed.Public(),
	})
	return k
}

// PublicJWKS renders public keys, by kid, as a JWKS document.
func PublicJWKS(tb testing.TB, keys map[string]crypto.PublicKey) []byte {
	tb.Helper()
	set := jwk.NewSet()
	for kid, pub := range keys {
		key, err := jwk.Import(pub)
		if err != nil {
			tb.Fatal(err)
		}
		if err := key.Set(jwk.KeyIDKey, kid); err != nil {
			tb.Fatal(err)
		}
		if err := set.AddKey(key); err != nil {
			tb.Fatal(err)
		}
	}
	out, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Sign builds a compact JWS with header {alg, kid, typ} over claims,
// signed by hand (independently of the verifier's library). alg "none"
// gives an empty signature; HS* uses hmacKey.
func (k *Keys) Sign(tb testing.TB, alg, kid string, claims map[string]any, hmacKey []byte) string {
	tb.Helper()
	hdr := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		hdr["kid"] = kid
	}
	input := encode(tb, hdr) + "." + encode(tb, claims)
	sig := k.signature(tb, alg, []byte(input), hmacKey)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (k *Keys) signature(tb testing.TB, alg string, input, hmacKey []byte) []byte {
	sum := sha256.Sum256(input)
	switch alg {
	case "none":
		return nil
	case "HS256":
		m := hmac.New(sha256.New, hmacKey)
		m.Write(input)
		return m.Sum(nil)
	case "RS256":
		sig, err := rsa.SignPKCS1v15(rand.Reader, k.RSA, crypto.SHA256, sum[:])
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, k.EC, sum[:])
		if err != nil {
			tb.Fatal(err)
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	case "EdDSA":
		return ed25519.Sign(k.Ed, input)
	}
	tb.Fatalf("authntest: unsupported alg %q", alg)
	return nil
}

func encode(tb testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// RSAPublicPEM is the RSA public key in PEM, as an attacker could read it:
// the key material of the "HS256 signed with the public key" attack.
func (k *Keys) RSAPublicPEM(tb testing.TB) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.RSA.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

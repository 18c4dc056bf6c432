package app_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/pdp-project/pdp/internal/app"
)

// TestKeyFingerprint: the fingerprint is what OpenSSL prints for the same
// key (openssl pkey -in KEY.pem -pubout -outform DER | sha256sum).
func TestKeyFingerprint(t *testing.T) {
	const keyPEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINotQp4GRKyXWoI3RNpE4cEwHqi10nTA3R2of51XwXJw\n-----END PRIVATE KEY-----\n"
	const want = "sha256:6c43b6fe303473c9e6b95c12f2115608b0c915af9c254db876b86c5a6acc696b"
	block, _ := pem.Decode([]byte(keyPEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if got := app.KeyFingerprint(key.(ed25519.PrivateKey).Public().(ed25519.PublicKey)); got != want {
		t.Errorf("KeyFingerprint = %s, want %s", got, want)
	}
	if got := app.KeyFingerprint(ed25519.PublicKey{1, 2, 3}); got == want || got[:7] != "sha256:" {
		t.Errorf("KeyFingerprint of a malformed key = %s", got)
	}
}

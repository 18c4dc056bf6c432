package app

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// KeyFingerprint names an Ed25519 public key: "sha256:" and the hex SHA-256
// of its PKIX (SubjectPublicKeyInfo) DER form, which anyone can compute
// from the key file without this code:
//
//	openssl pkey -in KEY.pem -pubout -outform DER | sha256sum
func KeyFingerprint(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return "sha256:(not an Ed25519 public key)"
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

package bundle

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// DefaultKeyID is OPA's key id when none is given.
const DefaultKeyID = "default"

// Key names the key that every bundle's signature must verify against: a PEM
// public key, or for HS* algorithms a file holding the shared secret.
type Key struct {
	File string // empty: no verification
	ID   string // key id; DefaultKeyID when empty
	Alg  string // e.g. RS256 (OPA's default when empty)
}

// VerificationConfig reads the key file and returns OPA's verification config,
// or nil when no key is set. A config returned here requires a signature:
// a bundle without .signatures.json is rejected.
func (k Key) VerificationConfig() (*bundle.VerificationConfig, error) {
	if k.File == "" {
		return nil, nil
	}
	data, err := os.ReadFile(k.File)
	if err != nil {
		return nil, fmt.Errorf("read bundle verification key: %w", err)
	}
	id := k.ID
	if id == "" {
		id = DefaultKeyID
	}
	alg := k.Alg
	if alg == "" {
		alg = "RS256"
	}
	if !strings.HasPrefix(alg, "HS") {
		if err := checkPEMKey(k.File, alg, data); err != nil {
			return nil, err
		}
	}
	keys := map[string]*bundle.KeyConfig{id: {Key: string(data), Algorithm: alg}}
	vc := bundle.NewVerificationConfig(keys, id, "", nil)
	if !vc.SignatureRequired() {
		return nil, fmt.Errorf("bundle verification config for key %q does not require signatures", id)
	}
	return vc, nil
}

// checkPEMKey parses the PEM key of an asymmetric algorithm as OPA will
// when it verifies, so that a bad key is refused when it is configured.
func checkPEMKey(path, alg string, data []byte) error {
	block, _ := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("bundle verification key %s: no PEM block (an %s key must be PEM)", path, alg)
	}
	ok, err := parsePEMBlock(block.Type, block.Bytes)
	switch {
	case !ok:
		return fmt.Errorf("%q: a PEM %q block is not a bundle verification key", path, block.Type)
	case err != nil:
		return fmt.Errorf("%q: bundle verification key: %w", path, err)
	}
	return nil
}

// parsePEMBlock parses a PEM block of a type OPA accepts as a
// verification key; ok is false for any other type.
func parsePEMBlock(typ string, b []byte) (ok bool, err error) {
	switch typ {
	case "RSA PUBLIC KEY":
		_, err = x509.ParsePKCS1PublicKey(b)
	case "PUBLIC KEY":
		_, err = x509.ParsePKIXPublicKey(b)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(b)
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(b)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(b)
	case "CERTIFICATE":
		_, err = x509.ParseCertificate(b)
	default:
		return false, nil
	}
	return true, err
}

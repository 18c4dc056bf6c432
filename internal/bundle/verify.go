package bundle

import (
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
	if block, _ := pem.Decode(data); block == nil && !strings.HasPrefix(alg, "HS") {
		return nil, fmt.Errorf("bundle verification key %s: no PEM block (an %s key must be PEM)", k.File, alg)
	}
	keys := map[string]*bundle.KeyConfig{id: {Key: string(data), Algorithm: alg}}
	vc := bundle.NewVerificationConfig(keys, id, "", nil)
	if !vc.SignatureRequired() {
		return nil, fmt.Errorf("bundle verification config for key %q does not require signatures", id)
	}
	return vc, nil
}

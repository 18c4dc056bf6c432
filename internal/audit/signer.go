package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Signer signs checkpoints with an Ed25519 private key.
type Signer struct {
	key ed25519.PrivateKey
	pub string
}

// NewSigner returns a Signer over key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	pub := key.Public().(ed25519.PublicKey)
	return &Signer{key: key, pub: base64.StdEncoding.EncodeToString(pub)}
}

// PublicKey is the base64 public key that checkpoints carry.
func (s *Signer) PublicKey() string { return s.pub }

// Checkpoint returns the signed checkpoint of the record at seq with hash.
func (s *Signer) Checkpoint(seq int64, hash, kind string, at time.Time) Checkpoint {
	cp := Checkpoint{Seq: seq, Hash: hash, Time: at.UTC(), Kind: kind, PublicKey: s.pub}
	cp.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, cp.SignedBytes()))
	return cp
}

// VerifySignature checks the signature of cp against its own public key
// and, when trusted is set, that this key is the trusted one.
func VerifySignature(cp Checkpoint, trusted ed25519.PublicKey) error {
	pub, err := base64.StdEncoding.DecodeString(cp.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return errors.New("checkpoint public key is malformed")
	}
	if trusted != nil && !trusted.Equal(ed25519.PublicKey(pub)) {
		return errors.New("checkpoint is signed by a key that is not the trusted one")
	}
	sig, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil || !ed25519.Verify(pub, cp.SignedBytes(), sig) {
		return errors.New("checkpoint signature does not verify")
	}
	return nil
}

// LoadKey reads an Ed25519 private key (PKCS #8 PEM) from path.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read audit signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("audit signing key %q: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %q: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %q: not an Ed25519 key", path)
	}
	return key, nil
}

// LoadOrCreateKey reads the key at path, or generates one and writes it
// there (0600, parent directory 0700) when the file does not exist. created
// reports the latter.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	if _, err := os.Stat(path); err == nil {
		key, err := LoadKey(path)
		return key, false, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate audit signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create key directory: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, false, fmt.Errorf("write audit signing key: %w", err)
	}
	return key, true, nil
}

// LoadPublicKey reads a trusted Ed25519 public key: a PKIX PEM file, or a
// private key file whose public half is taken.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("public key %q: no PEM block", path)
	}
	if block.Type == "PRIVATE KEY" {
		key, err := LoadKey(path)
		if err != nil {
			return nil, err
		}
		return key.Public().(ed25519.PublicKey), nil
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %q: not an Ed25519 key", path)
	}
	return pub, nil
}

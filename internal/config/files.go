package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/bundle"
)

// validateContents checks that the files named by flags hold what the
// server will read from them, so that a wrong file is a configuration error
// before anything starts. Files that are missing are checkFile's to report.
func (c Config) validateContents(p *problems) {
	if isFile(c.TLS.CertFile) && isFile(c.TLS.KeyFile) {
		if _, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			p.add("tls-cert", "%q with --tls-key %q: %v", c.TLS.CertFile, c.TLS.KeyFile, err)
		}
	}
	checkContent(p, "tls-client-ca", c.TLS.ClientCAFile, readCertPool)
	checkContent(p, "jwks-file", c.JWT.JWKSFile, readJWKS)
	checkContent(p, "jwt-hmac-secret-file", c.JWT.HMACSecretFile, readSecret)
	checkContent(p, "audit-signing-key", c.Audit.SigningKey, readSigningKey)
	if slices.Contains(BundleSigningAlgs(), c.Bundle.VerificationAlg) {
		checkContent(p, "bundle-verification-key", c.Bundle.VerificationKey, c.Bundle.readVerificationKey)
	}
}

// checkContent reports what read finds wrong with the file at path, when
// path names a regular file.
func checkContent(p *problems, flagName, path string, read func(string) error) {
	if !isFile(path) {
		return
	}
	if err := read(path); err != nil {
		p.add(flagName, "%v", err)
	}
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return path != "" && err == nil && st.Mode().IsRegular()
}

func readCertPool(path string) error {
	data, err := os.ReadFile(path)
	if err == nil && !x509.NewCertPool().AppendCertsFromPEM(data) {
		err = fmt.Errorf("%q holds no PEM certificate", path)
	}
	return err
}

func readJWKS(path string) error {
	if _, err := jwk.ReadFile(path); err != nil {
		return fmt.Errorf("%q is not a JWKS: %w", path, err)
	}
	return nil
}

func readSecret(path string) error {
	data, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimRight(data, "\r\n")) == 0 {
		err = fmt.Errorf("%q is empty", path)
	}
	return err
}

func readSigningKey(path string) error {
	_, err := audit.LoadKey(path)
	return err
}

// readVerificationKey reads the key as the bundle manager does and, for the
// algorithms that take a PEM key, parses it as OPA will.
func (b BundleConfig) readVerificationKey(path string) error {
	key := bundle.Key{File: path, ID: b.VerificationKeyID, Alg: b.VerificationAlg}
	if _, err := key.VerificationConfig(); err != nil {
		return err
	}
	if slices.Contains([]string{"HS256", "HS384", "HS512"}, b.VerificationAlg) {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return parsePEMKey(path, data)
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

func parsePEMKey(path string, data []byte) error {
	block, _ := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("%q holds no PEM block", path)
	}
	ok, err := parsePEMBlock(block.Type, block.Bytes)
	switch {
	case !ok:
		return fmt.Errorf("%q: a PEM %q block is not a key", path, block.Type)
	case err != nil:
		return fmt.Errorf("%q: %w", path, err)
	}
	return nil
}

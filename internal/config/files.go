package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
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

// readVerificationKey reads and parses the key as the bundle manager does.
func (b BundleConfig) readVerificationKey(path string) error {
	_, err := bundle.Key{File: path, ID: b.VerificationKeyID, Alg: b.VerificationAlg}.VerificationConfig()
	return err
}

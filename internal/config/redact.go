package config

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// redactedText replaces a secret in a redacted configuration.
const redactedText = "REDACTED"

// Redacted returns a copy of c fit for printing and logging: passwords in
// URLs (redis, audit database, JWKS, bundle sources, public URL), secret-like query
// parameters and inline key material are replaced by "REDACTED". File paths
// are kept: they name secrets without revealing them.
func (c Config) Redacted() Config {
	c.Cache.RedisURL = redactURL(c.Cache.RedisURL)
	c.Audit.Fleet.URL = redactPostgresURL(c.Audit.Fleet.URL)
	c.Search.DB = redactSearchDB(c.Search)
	c.JWT.JWKSURL = redactURL(c.JWT.JWKSURL)
	c.Server.PublicURL = redactURL(c.Server.PublicURL)
	if c.Bundle.Sources != nil {
		sources := make([]string, len(c.Bundle.Sources))
		for i, src := range c.Bundle.Sources {
			sources[i] = redactURL(src)
		}
		c.Bundle.Sources = sources
	}
	if looksLikeKeyMaterial(c.Bundle.VerificationKey) {
		c.Bundle.VerificationKey = redactedText
	}
	return c
}

// YAML renders c.Redacted() in the --config file format, for --print-config.
// It always redacts, so a printed configuration never holds a secret.
func (c Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c.Redacted()); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// redactURL hides the password of a URL's user info, the user name when it
// stands alone over HTTP (a token), and secret-like query parameters.
// Strings that are not URLs (file paths) come back unchanged; an unparseable
// string with user info is redacted whole.
func redactURL(raw string) string {
	if raw == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return redactedText
		}
		return raw
	}
	changed := redactUser(u)
	if redactQuery(u) {
		changed = true
	}
	if !changed {
		return raw
	}
	return u.String()
}

func redactUser(u *url.URL) bool {
	if u.User == nil {
		return false
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redactedText)
		return true
	}
	// A user name alone is often the secret itself (a token, or a Redis
	// password written without the colon).
	u.User = url.User(redactedText)
	return true
}

func redactQuery(u *url.URL) bool {
	if u.RawQuery == "" {
		return false
	}
	q := u.Query()
	changed := false
	for k := range q {
		if isSecretName(k) {
			q[k] = []string{redactedText}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return changed
}

// isSecretName reports whether a parameter name suggests a secret value.
func isSecretName(name string) bool {
	name = strings.ToLower(name)
	for _, word := range []string{"pass", "pwd", "secret", "token", "key", "sig", "auth", "cred", "jwt",
		"session", "code", "bearer", "private"} {
		if strings.Contains(name, word) {
			return true
		}
	}
	return false
}

// looksLikeKeyMaterial reports whether v holds a key rather than a path.
func looksLikeKeyMaterial(v string) bool {
	return strings.Contains(v, "-----BEGIN") || strings.ContainsAny(v, "\r\n")
}

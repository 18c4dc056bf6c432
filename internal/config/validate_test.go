package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// validConfig returns a Config that passes Validate, with a real file of
// testdata for every file flag.
func validConfig(t *testing.T) Config {
	t.Helper()
	c := Default()
	c.Bundle.Sources = []string{"bundles/example"}
	c.TLS = TLSConfig{CertFile: "testdata/cert.pem", KeyFile: "testdata/key.pem", ClientCAFile: "testdata/cert.pem"}
	c.Bundle.VerificationKey = "testdata/verify.pem"
	c.Bundle.TokenFile = "testdata/token"
	c.Audit.SigningKey = "testdata/audit-signing-key.pem"
	c.JWT.JWKSFile = "testdata/jwks.json"
	c.JWT.HMACSecretFile = "testdata/hmac-secret"
	c.Cache.RedisURL = "rediss://user:pw@cache.example:6380/3"
	return c.Complete()
}

func TestValidateAcceptsValid(t *testing.T) {
	if err := validConfig(t).Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c := Default()
	c.Bundle.Sources = []string{"b"}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate of defaults plus a bundle: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"no bundle", func(c *Config) { c.Bundle.Sources = nil }, "--bundle: at least one"},
		{"empty bundle", func(c *Config) { c.Bundle.Sources = []string{"a", " "} }, "--bundle: source 2 is empty"},
		{"bad grpc addr", func(c *Config) { c.Server.GRPCAddr = "7070" }, "--grpc-addr:"},
		{"bad port", func(c *Config) { c.Server.HTTPAddr = "localhost:99999" }, "--http-addr:"},
		{"same addrs", func(c *Config) { c.Server.HTTPAddr = c.Server.GRPCAddr }, "--http-addr: must differ"},
		{"non-loopback plaintext", func(c *Config) { c.TLS = TLSConfig{}; c.Server.GRPCAddr = "0.0.0.0:7070" }, "--insecure"},
		{"all interfaces plaintext", func(c *Config) { c.TLS = TLSConfig{}; c.Server.HTTPAddr = ":7071" }, "--insecure"},
		{"cert without key", func(c *Config) { c.TLS.KeyFile = "" }, "--tls-key: required with --tls-cert"},
		{"key without cert", func(c *Config) { c.TLS.CertFile = "" }, "--tls-cert: required with --tls-key"},
		{"client ca without tls", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "", "" }, "--tls-client-ca: requires"},
		{"missing cert file", func(c *Config) { c.TLS.CertFile = "/nonexistent/cert.pem" }, `--tls-cert: file "/nonexistent/cert.pem" does not exist`},
		{"file is a directory", func(c *Config) { c.JWT.JWKSFile = os.TempDir() }, "--jwks-file:"},
		{"jwks exclusive", func(c *Config) { c.JWT.JWKSURL = "https://idp/jwks" }, "--jwks-url: cannot be combined with --jwks-file"},
		{"jwks url scheme", func(c *Config) { c.JWT.JWKSFile = ""; c.JWT.JWKSURL = "ftp://idp/jwks" }, "--jwks-url: scheme"},
		{"redis scheme", func(c *Config) { c.Cache.RedisURL = "http://localhost:6379" }, "--redis-url: scheme"},
		{"redis db", func(c *Config) { c.Cache.RedisURL = "redis://localhost:6379/x" }, "--redis-url: database"},
		{"redis no host", func(c *Config) { c.Cache.RedisURL = "redis://" }, "--redis-url: URL has no host"},
		{"negative ttl", func(c *Config) { c.Cache.TTL = -time.Second }, "--cache-ttl: must not be negative"},
		{"negative poll", func(c *Config) { c.Bundle.Poll = -1 }, "--bundle-poll: must not be negative"},
		{"negative retention", func(c *Config) { c.Audit.Retention = -1 }, "--audit-retention: must not be negative"},
		{"negative grace", func(c *Config) { c.Server.ShutdownGrace = -1 }, "--shutdown-grace: must not be negative"},
		{"cache size", func(c *Config) { c.Cache.Size = -1 }, "--cache-size: must not be negative"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "--log-level:"},
		{"audit sync", func(c *Config) { c.Audit.Sync = "always" }, "--audit-sync:"},
		{"max batch low", func(c *Config) { c.Server.MaxBatch = 0 }, "--max-batch:"},
		{"max batch high", func(c *Config) { c.Server.MaxBatch = 1001 }, "--max-batch:"},
		{"public url", func(c *Config) { c.Server.PublicURL = "not a url" }, "--public-url:"},
		{"alg", func(c *Config) { c.Bundle.VerificationAlg = "none" }, "--bundle-verification-alg:"},
		{"key id", func(c *Config) { c.Bundle.VerificationKeyID = "" }, "--bundle-verification-key-id:"},
		{"data dir", func(c *Config) { c.DataDir = "" }, "--data-dir:"},
		{"same bundle name", func(c *Config) { c.Bundle.Sources = []string{"bundles/example", "other/example.tar.gz"} },
			`--bundle: "bundles/example" and "other/example.tar.gz" share the bundle name "example"`},
		{"same bundle name of a URL", func(c *Config) { c.Bundle.Sources = []string{"a/clinic", "https://h/b/clinic.tar.gz"} },
			`share the bundle name "clinic"`},
		{"garbage tls cert", func(c *Config) { c.TLS.CertFile = garbage }, `--tls-cert: "testdata/garbage.pem" with --tls-key`},
		{"garbage tls key", func(c *Config) { c.TLS.KeyFile = garbage }, `--tls-cert: "testdata/cert.pem" with --tls-key "testdata/garbage.pem"`},
		{"garbage client ca", func(c *Config) { c.TLS.ClientCAFile = garbage }, `--tls-client-ca: "testdata/garbage.pem" holds no PEM certificate`},
		{"garbage jwks", func(c *Config) { c.JWT.JWKSFile = garbage }, `--jwks-file: "testdata/garbage.pem" is not a JWKS`},
		{"empty hmac secret", func(c *Config) { c.JWT.HMACSecretFile = "testdata/empty-secret" }, `--jwt-hmac-secret-file: "testdata/empty-secret" is empty`},
		{"garbage audit key", func(c *Config) { c.Audit.SigningKey = garbage }, "--audit-signing-key: audit signing key"},
		{"audit key not ed25519", func(c *Config) { c.Audit.SigningKey = "testdata/key.pem" }, "--audit-signing-key: audit signing key"},
		{"missing audit key", func(c *Config) { c.Audit.SigningKey = "/nonexistent/k.pem" }, `--audit-signing-key: file "/nonexistent/k.pem" does not exist`},
		{"garbage verification key", func(c *Config) { c.Bundle.VerificationKey = garbage }, "--bundle-verification-key: bundle verification key"},
		{"garbage in a PEM verification key", func(c *Config) { c.Bundle.VerificationKey = "testdata/garbage-in-pem.pem" },
			`--bundle-verification-key: "testdata/garbage-in-pem.pem":`},
		{"plain http jwks", func(c *Config) { c.JWT.JWKSFile, c.JWT.JWKSURL = "", "http://idp.example/jwks" },
			`--jwks-url: "http://idp.example/jwks" is plain http`},
		{"plain http bundle, unsigned", func(c *Config) {
			c.Bundle.VerificationKey, c.Bundle.Sources = "", []string{"http://bundles.example/b.tar.gz?token=s3cret"}
		}, `--bundle: "http://bundles.example/b.tar.gz?token=REDACTED" is plain http`},
		{"bearer token over plain http", func(c *Config) {
			c.Bundle.TokenFile, c.Bundle.Sources = "testdata/token", []string{"http://bundles.example/b.tar.gz"}
		}, "--bundle-token-file: the token would cross the network in the clear"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestValidateAcceptsPlainFetches: plain http is fine on loopback, for a
// signed bundle without a token, and with an explicit --insecure.
func TestValidateAcceptsPlainFetches(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"loopback jwks", func(c *Config) { c.JWT.JWKSFile, c.JWT.JWKSURL = "", "http://127.0.0.1:8080/jwks" }},
		{"signed bundle", func(c *Config) {
			c.Bundle.TokenFile, c.Bundle.Sources = "", []string{"http://bundles.example/b.tar.gz"}
		}},
		{"insecure", func(c *Config) {
			c.Server.Insecure, c.Bundle.TokenFile = true, "testdata/token"
			c.Bundle.VerificationKey, c.Bundle.Sources = "", []string{"http://bundles.example/b.tar.gz"}
			c.JWT.JWKSFile, c.JWT.JWKSURL = "", "http://idp.example/jwks"
		}},
	}
	for _, tt := range tests {
		c := validConfig(t)
		tt.mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

// garbage is a file that is neither PEM nor JSON.
const garbage = "testdata/garbage.pem"

func TestValidateAcceptsKeyFiles(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"certificate as verification key", func(c *Config) { c.Bundle.VerificationKey = "testdata/cert.pem"; c.Bundle.VerificationAlg = "ES256" }},
		{"any secret for an HMAC algorithm", func(c *Config) { c.Bundle.VerificationKey = garbage; c.Bundle.VerificationAlg = "HS256" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			tt.mutate(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateInsecureAndLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:1", "127.8.9.10:1", "[::1]:1", "localhost:1", "LOCALHOST:1"} {
		c := Default()
		c.Bundle.Sources = []string{"b"}
		c.Server.GRPCAddr = addr
		if err := c.Validate(); err != nil {
			t.Errorf("loopback %s: %v", addr, err)
		}
	}
	c := Default()
	c.Bundle.Sources = []string{"b"}
	c.Server.GRPCAddr, c.Server.HTTPAddr = "0.0.0.0:7070", "10.1.2.3:7071"
	c.Server.Insecure = true
	if err := c.Validate(); err != nil {
		t.Errorf("--insecure on non-loopback: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Server.GRPCAddr = "0.0.0.0:7070"
	c.Cache.TTL = -time.Second
	c.Cache.Size = -1
	c.Cache.RedisURL = "memcached://x"
	c.Log.Level = "loud"
	c.TLS.ClientCAFile = "/nonexistent/ca.pem"
	c.JWT.HMACSecretFile = "/nonexistent/hmac"
	c.JWT.JWKSFile, c.JWT.JWKSURL = "/nonexistent/jwks", "https://idp/jwks"

	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	msgs := strings.Split(err.Error(), "\n")
	for _, want := range []string{
		"--bundle:", "--grpc-addr:", "--cache-ttl:", "--cache-size:", "--redis-url:", "--log-level:",
		"--tls-client-ca: requires", `--tls-client-ca: file "/nonexistent/ca.pem"`,
		"--jwt-hmac-secret-file:", "--jwks-url: cannot", `--jwks-file: file "/nonexistent/jwks"`,
	} {
		if !containsPrefix(msgs, want) {
			t.Errorf("no line starting with %q in:\n%v", want, err)
		}
	}
	if len(msgs) != 11 {
		t.Errorf("got %d problems, want 11:\n%v", len(msgs), err)
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

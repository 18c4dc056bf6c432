package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRedactedURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://:s3cret@127.0.0.1:6379/0", "redis://:REDACTED@127.0.0.1:6379/0"},
		{"rediss://user:s3cret@cache:6380", "rediss://user:REDACTED@cache:6380"},
		{"redis://cache:6379/1", "redis://cache:6379/1"},
		{"https://tok3n@bundles.example/b.tar.gz", "https://REDACTED@bundles.example/b.tar.gz"},
		{"https://idp/jwks?access_token=s3cret&v=1", "https://idp/jwks?access_token=REDACTED&v=1"},
		{"redis://hunter2@cache:6379", "redis://REDACTED@cache:6379"},
		{"https://h/b.tar.gz?jwt=a&pwd=b&session=c&code=d&v=1", "https://h/b.tar.gz?code=REDACTED&jwt=REDACTED&pwd=REDACTED&session=REDACTED&v=1"},
		{"bundles/example", "bundles/example"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := Default()
	c.Cache.RedisURL = "redis://default:hunter2@127.0.0.1:6379/0"
	c.JWT.JWKSURL = "https://idp.example/jwks?token=hunter2"
	c.Bundle.Sources = []string{"bundles/example", "https://u:hunter2@srv/b.tar.gz"}
	c.Bundle.VerificationKey = "-----BEGIN PUBLIC KEY-----\nhunter2\n-----END PUBLIC KEY-----"

	r := c.Redacted()
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{
		"redis": r.Cache.RedisURL, "jwks": r.JWT.JWKSURL, "bundle": r.Bundle.Sources[1],
		"key": r.Bundle.VerificationKey, "yaml": string(out),
	} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%s still holds the secret: %s", what, s)
		}
	}
	eq(t, "redis", r.Cache.RedisURL, "redis://default:REDACTED@127.0.0.1:6379/0")
	eq(t, "original untouched", c.Bundle.Sources[1], "https://u:hunter2@srv/b.tar.gz")
	eq(t, "path kept", r.Bundle.Sources[0], "bundles/example")
}

// TestYAMLRoundTrip checks that --print-config output is a valid --config file.
func TestYAMLRoundTrip(t *testing.T) {
	c, err := Load([]string{"--config", exampleFile, "--auditors", "a,b", "--cache-ttl", "0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Cache.RedisURL = "redis://127.0.0.1:6379/2" // no secret, so redaction changes nothing
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "printed.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := Load([]string{"--config", path}, nil)
	if err != nil {
		t.Fatalf("reload printed config: %v\n%s", err, out)
	}
	back.ConfigFile = c.ConfigFile
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, c)
	}
}

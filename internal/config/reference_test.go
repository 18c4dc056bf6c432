package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReferenceRows: a flag's row names its environment variable, the YAML
// key that sets the same field, and its default as the flag prints it.
func TestReferenceRows(t *testing.T) {
	tests := []struct {
		flag, env, yaml, def string
	}{
		{"cache-ttl", "PDP_CACHE_TTL", "cache.ttl", "1m0s"},
		{"redis-url", "PDP_REDIS_URL", "cache.redis_url", ""},
		{"bundle", "PDP_BUNDLE", "bundle.sources", ""},
		{"auditors", "PDP_AUDITORS", "authz.auditors", ""},
		{"data-dir", "PDP_DATA_DIR", "data_dir", "./pdp-data"},
		{"deny-spike-window", "PDP_DENY_SPIKE_WINDOW", "deny_spike.window", "1m0s"},
		{"tls-client-ca", "PDP_TLS_CLIENT_CA", "tls.client_ca", ""},
		{"config", "PDP_CONFIG", "", ""},
		{"print-config", "PDP_PRINT_CONFIG", "", "false"},
	}
	refs := refsByName(Reference())
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			r, ok := refs[tt.flag]
			if !ok {
				t.Fatalf("no row for --%s", tt.flag)
			}
			if r.Env != tt.env || r.YAML != tt.yaml || r.Default != tt.def {
				t.Errorf("row = env %q, yaml %q, default %q; want %q, %q, %q", r.Env, r.YAML, r.Default, tt.env, tt.yaml, tt.def)
			}
		})
	}
}

// TestReferenceYAMLKeysExist: every flag but --config and --print-config has
// a YAML key, and that key is one the YAML encoding of Config holds.
func TestReferenceYAMLKeysExist(t *testing.T) {
	out, err := yaml.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range Reference() {
		if r.Flag == "config" || r.Flag == "print-config" {
			continue
		}
		if r.YAML == "" {
			t.Errorf("--%s: no YAML key found for the field it sets", r.Flag)
		} else if !hasKey(doc, strings.Split(r.YAML, ".")) {
			t.Errorf("--%s: YAML key %q is not in the encoded configuration", r.Flag, r.YAML)
		}
	}
}

// TestReferenceHidesSecrets: a default that holds a secret is never printed,
// and the flags that can hold one are marked.
func TestReferenceHidesSecrets(t *testing.T) {
	c := Default()
	c.Cache.RedisURL = "redis://user:hunter2@cache:6379/0"
	c.JWT.JWKSURL = "https://idp.example/jwks?token=hunter3"
	c.Bundle.VerificationKey = "-----BEGIN PUBLIC KEY-----\nhunter4\n-----END PUBLIC KEY-----"
	var b strings.Builder
	if err := writeReference(&b, reference(c)); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "hunter3", "hunter4"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("reference shows the secret %q:\n%s", secret, b.String())
		}
	}
	refs := refsByName(reference(c))
	for _, name := range []string{"redis-url", "jwks-url", "bundle", "bundle-verification-key"} {
		if !refs[name].Secret {
			t.Errorf("--%s not marked as able to hold a secret", name)
		}
	}
	if refs["cache-ttl"].Secret || refs["tls-key"].Secret {
		t.Error("a duration or a file path marked as a secret")
	}
}

// TestReferenceMarkdownCells: placeholders and values that markdown would
// swallow are escaped, and every row has the five cells of the header.
func TestReferenceMarkdownCells(t *testing.T) {
	refs := []FlagRef{{Flag: "x", Arg: "file", Env: "PDP_X", Usage: "path (default <data-dir>/a|b) of HS* keys"}}
	var b strings.Builder
	if err := writeReference(&b, refs); err != nil {
		t.Fatal(err)
	}
	last := strings.TrimSpace(b.String()[strings.LastIndex(strings.TrimSpace(b.String()), "\n"):])
	want := "| `--x file` | `PDP_X` | — | — | path (default &lt;data-dir&gt;/a\\|b) of HS\\* keys |"
	if last != want {
		t.Errorf("row\n%s\nwant\n%s", last, want)
	}
}

func refsByName(refs []FlagRef) map[string]FlagRef {
	m := make(map[string]FlagRef, len(refs))
	for _, r := range refs {
		m[r.Flag] = r
	}
	return m
}

// hasKey reports whether the nested map doc holds the key path.
func hasKey(doc map[string]any, path []string) bool {
	v, ok := doc[path[0]]
	if !ok || len(path) == 1 {
		return ok
	}
	sub, isMap := v.(map[string]any)
	return isMap && hasKey(sub, path[1:])
}

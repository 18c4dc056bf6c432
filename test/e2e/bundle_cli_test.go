package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/bundle/bundletest"
)

// TestBundleCommands: `pdp bundle build|sign|inspect` exit codes and what
// they print: usage errors 2, an invalid signature 1.
func TestBundleCommands(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	_, otherPub := bundletest.KeyPair(t)
	dir := bundletest.WriteDir(t, bundletest.Policy("r1", true))
	writeFile(t, filepath.Join(dir, "authz_test.rego"), "package authz_test\n\ntest_ok if true\n")
	out := t.TempDir()
	// dist/ does not exist yet: build creates it, as the README's command needs.
	plain, signed := filepath.Join(out, "dist", "plain.tar.gz"), filepath.Join(out, "signed.tar.gz")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"bundle"}, 2, "build, sign or inspect"},
		{"build without -o", []string{"bundle", "build", dir}, 2, "-o FILE"},
		{"build of a missing dir", []string{"bundle", "build", filepath.Join(out, "nope"), "-o", plain}, 2, "no such file"},
		{"build", []string{"bundle", "build", dir, "-o", plain}, 0, "wrote"},
		{"inspect unsigned", []string{"bundle", "inspect", plain}, 0, "signature: unsigned"},
		{"sign without key", []string{"bundle", "sign", plain, "-o", signed}, 2, "--signing-key"},
		{"sign", []string{"bundle", "sign", plain, "--signing-key", priv, "-o", signed}, 0, "wrote"},
		{"inspect signed, no key", []string{"bundle", "inspect", signed}, 0, "not verified"},
		{"inspect signed", []string{"bundle", "inspect", signed, "--verification-key", pub, "--format", "json"}, 0, `"signature":"valid"`},
		{"inspect, wrong key", []string{"bundle", "inspect", signed, "--verification-key", otherPub}, 1, "invalid signature"},
		{"inspect unsigned, key", []string{"bundle", "inspect", plain, "--verification-key", pub}, 1, "missing .signatures.json"},
	}
	for _, tc := range tests {
		got, code := runPDP(t, "", tc.args...)
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%s: pdp %s: exit %d, want %d with %q:\n%s", tc.name, strings.Join(tc.args, " "), code, tc.code, tc.want, got)
		}
		if tc.name == "build" && strings.Contains(inspectOut(t, plain), "authz_test") {
			t.Errorf("the built bundle holds the Rego test file")
		}
	}
}

func inspectOut(t *testing.T, path string) string {
	t.Helper()
	out, code := runPDP(t, "", "bundle", "inspect", path)
	if code != 0 {
		t.Fatalf("inspect %s: exit %d\n%s", path, code, out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return out
}

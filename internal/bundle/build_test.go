package bundle_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
)

func TestBuildLeavesOutCasesAndTests(t *testing.T) {
	files := bundletest.Policy("r1", true)
	files["authz_test.rego"] = "package authz_test\n\ntest_ok if true\n"
	files["admin.decisions.yaml"] = "cases: []\n"
	files["data.json"] = `{"authz": {"admins": ["alice"]}}`
	var buf bytes.Buffer
	err := bundle.Build(context.Background(), bundle.BuildOptions{Dir: bundletest.WriteDir(t, files), Revision: "r9"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	writeFile(t, path, buf.String())
	info, err := bundle.Inspect(path, bundle.Key{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".manifest", "authz.rego", "data.json"}
	if !slices.Equal(info.Files, want) || info.Revision != "r9" || info.Signature != bundle.SignatureUnsigned {
		t.Errorf("Inspect = %+v, want files %v at r9, unsigned", info, want)
	}
}

func TestSignAndInspect(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	_, otherPub := bundletest.KeyPair(t)
	dir := t.TempDir()
	unsigned := filepath.Join(dir, "unsigned.tar.gz")
	writeFile(t, unsigned, string(bundletest.Build(t, bundletest.Policy("r1", true), bundle.Signing{})))
	signed := filepath.Join(dir, "signed.tar.gz")
	var buf bytes.Buffer
	if err := bundle.Sign(unsigned, bundle.Signing{KeyFile: priv, KeyID: "k1"}, &buf); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	writeFile(t, signed, buf.String())
	tests := []struct {
		name, path string
		key        bundle.Key
		want       string
	}{
		{"unsigned", unsigned, bundle.Key{}, bundle.SignatureUnsigned},
		{"signed, no key", signed, bundle.Key{}, bundle.SignatureUnverified},
		{"signed, right key", signed, bundle.Key{File: pub, ID: "k1"}, bundle.SignatureValid},
		{"signed, other key", signed, bundle.Key{File: otherPub, ID: "k1"}, bundle.SignatureInvalid},
		{"unsigned, key", unsigned, bundle.Key{File: pub, ID: "k1"}, bundle.SignatureInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := bundle.Inspect(tc.path, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if info.Signature != tc.want || info.Revision != "r1" || !slices.Equal(info.Roots, []string{"authz"}) {
				t.Errorf("Inspect = %+v, want signature %q", info, tc.want)
			}
		})
	}
}

// TestSignedDirectorySource: a signed bundle unpacked into a directory
// verifies as a directory source too, and an added file is rejected.
func TestSignedDirectorySource(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	files := bundletest.Untar(t, bundletest.Build(t, bundletest.Policy("r1", true), bundle.Signing{KeyFile: priv}))
	dir := bundletest.WriteDir(t, files)
	m, _ := startOpts(t, bundle.Options{Paths: []string{dir}, Key: bundle.Key{File: pub}})
	waitFor(t, "r1", revisionIs(m, "r1"))
	writeFile(t, filepath.Join(dir, "extra.rego"), "package authz\n\nextra := 1\n")
	waitFor(t, "an error", func() bool { return lastError(m) != "" })
	if st := m.Status(); st.Revision != "r1" {
		t.Errorf("status = %+v, want r1 still active", st)
	}
}

func TestKeyNotPEM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, "not a key")
	if _, err := (bundle.Key{File: path}).VerificationConfig(); err == nil {
		t.Error("an RS256 key without a PEM block was accepted")
	}
	if _, err := (bundle.Key{File: path, Alg: "HS256"}).VerificationConfig(); err != nil {
		t.Errorf("HS256 secret: %v", err)
	}
}

// TestBuildLeavesOutNestedBundles: a directory below the one built that
// holds its own .manifest is a separate bundle (as `pdp test` treats it):
// left out, everything else kept; built on its own, it is a bundle. (OPA's
// builder merges the data into one data.json.)
func TestBuildLeavesOutNestedBundles(t *testing.T) {
	tests := []struct {
		name, dir, revision string
		nested, files       []string
	}{
		{"nested bundles at two depths", "testdata/nested", "n1", []string{"lib/vendored", "todo"},
			[]string{".manifest", "authz/policy.rego", "data.json", "lib/deep/deep.rego", "lib/lib.rego"}},
		{"a nested bundle built on its own", "testdata/nested/todo", "t1", nil,
			[]string{".manifest", "data.json", "todo/policy.rego"}},
		{"no nested bundle", "testdata/example", "1", nil, []string{".manifest", "authz/policy.rego", "data.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nested, err := bundle.NestedBundles(tc.dir)
			if err != nil || !slices.Equal(nested, tc.nested) {
				t.Errorf("NestedBundles = %v, %v; want %v", nested, err, tc.nested)
			}
			info := buildAndInspect(t, bundle.BuildOptions{Dir: tc.dir}, bundle.Key{})
			if !slices.Equal(info.Files, tc.files) || info.Revision != tc.revision {
				t.Errorf("built %v at %q, want %v at %q", info.Files, info.Revision, tc.files, tc.revision)
			}
		})
	}
}

// TestBuildPolicies pins the README's `pdp bundle build policies -o
// dist/example.tar.gz --revision 2026-03-02.1 --signing-key ...` run from
// the repository root: policies/ (its authzen-* bundles left out) builds,
// signed, into the files of the servable bundles/example.
func TestBuildPolicies(t *testing.T) {
	const policies = "../../policies"
	priv, pub := bundletest.KeyPair(t)
	nested, err := bundle.NestedBundles(policies)
	if want := []string{"authzen-search", "authzen-todo"}; err != nil || !slices.Equal(nested, want) {
		t.Errorf("NestedBundles(policies) = %v, %v; want %v", nested, err, want)
	}
	opts := bundle.BuildOptions{Dir: policies, Revision: "2026-03-02.1", Signing: bundle.Signing{KeyFile: priv}}
	info := buildAndInspect(t, opts, bundle.Key{File: pub})
	want := append(filesUnder(t, "../../bundles/example"), ".signatures.json")
	slices.Sort(want)
	if !slices.Equal(info.Files, want) || info.Revision != opts.Revision || info.Signature != bundle.SignatureValid {
		t.Errorf("Inspect = %+v, want files %v at %s, signature valid", info, want, opts.Revision)
	}
}

// buildAndInspect builds opts into a tarball and inspects it with key.
func buildAndInspect(t *testing.T, opts bundle.BuildOptions, key bundle.Key) bundle.Info {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Build(context.Background(), opts, &buf); err != nil {
		t.Fatalf("Build: %v", err)
	}
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	writeFile(t, path, buf.String())
	info, err := bundle.Inspect(path, key)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return info
}

// filesUnder lists the files below dir as slash paths relative to it.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

package policies_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite "+bundleDir+" from the policy sources")

// bundleDir is the servable bundle built from this directory.
const bundleDir = "../bundles/example"

// inBundle reports whether a file of policies/ (path relative to it) belongs
// in the bundle: the manifest, data files, and Rego that is not a test.
func inBundle(path string) bool {
	name := filepath.Base(path)
	switch {
	case inNestedBundle(path):
		return false
	case path == ".manifest":
		return true
	case name == "data.json" || name == "data.yaml":
		return true
	default:
		return strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
	}
}

// readTree returns the files under dir that keep passes, by slash path
// relative to dir.
func readTree(t *testing.T, dir string, keep func(string) bool) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || !keep(rel) {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return files
}

func all(string) bool { return true }

func TestBundleIsBuiltFromPolicies(t *testing.T) {
	want := readTree(t, ".", inBundle)
	if _, ok := want[".manifest"]; !ok {
		t.Fatal("policies/.manifest is missing")
	}
	if *update {
		writeTree(t, bundleDir, want)
	}
	got := readTree(t, bundleDir, all)
	for _, name := range sortedUnion(want, got) {
		w, inWant := want[name]
		g, inGot := got[name]
		switch {
		case !inGot:
			t.Errorf("%s: missing from %s", name, bundleDir)
		case !inWant:
			t.Errorf("%s: in %s but not built from policies/", name, bundleDir)
		case !bytes.Equal(w, g):
			t.Errorf("%s: differs from policies/%s", name, name)
		}
	}
	if t.Failed() {
		t.Log("rebuild with: go test ./policies -update")
	}
}

// writeTree replaces dir with exactly files.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedUnion(a, b map[string][]byte) []string {
	var names []string
	for name := range a {
		names = append(names, name)
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

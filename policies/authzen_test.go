package policies_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// nestedBundles are policy sets of their own under policies/, each built
// into ../bundles/<name>: the AuthZEN conformance scenarios.
var nestedBundles = []string{"authzen-todo", "authzen-search"}

// inNestedBundle reports whether path (relative to policies/, or a bare
// directory name) lies in a nested bundle's sources.
func inNestedBundle(path string) bool {
	first, _, _ := strings.Cut(filepath.ToSlash(path), "/")
	for _, name := range nestedBundles {
		if first == name {
			return true
		}
	}
	return false
}

func nestedBundleDirs() []string {
	var dirs []string
	for _, name := range nestedBundles {
		dirs = append(dirs, name, filepath.Join("..", "bundles", name))
	}
	return dirs
}

// nestedFile keeps what belongs in a nested bundle: like inBundle, relative
// to the nested bundle's own directory.
func nestedFile(path string) bool {
	name := filepath.Base(path)
	switch {
	case path == ".manifest", name == "data.json", name == "data.yaml":
		return true
	default:
		return strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
	}
}

func TestNestedBundlesAreBuiltFromPolicies(t *testing.T) {
	for _, name := range nestedBundles {
		t.Run(name, func(t *testing.T) {
			want := readTree(t, name, nestedFile)
			dir := filepath.Join("..", "bundles", name)
			if *update {
				writeTree(t, dir, want)
			}
			got := readTree(t, dir, all)
			for _, file := range sortedUnion(want, got) {
				if !bytes.Equal(want[file], got[file]) {
					t.Errorf("%s: %s differs from policies/%s/%s (missing, extra or changed)", file, dir, name, file)
				}
			}
			if t.Failed() {
				t.Log("rebuild with: go test ./policies -update")
			}
		})
	}
}

func TestNestedRegoUnitTests(t *testing.T) {
	for _, name := range nestedBundles {
		t.Run(name, func(t *testing.T) {
			results := runRegoTests(t, name, skipCases)
			if len(results) == 0 {
				t.Fatal("no Rego tests ran")
			}
			for _, r := range results {
				switch {
				case r.Error != nil:
					t.Errorf("%s.%s: %s: error: %v", r.Package, r.Name, r.Location, r.Error)
				case r.Fail:
					t.Errorf("%s.%s: %s: failed; run opa test -v policies/%s", r.Package, r.Name, r.Location, name)
				}
			}
		})
	}
}

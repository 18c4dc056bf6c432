// Package authoring is the policy authors' toolkit behind pdp test, eval,
// lint and replay: it runs Rego unit tests with OPA's tester and decision
// cases through the PDP's own engine, measures coverage, lints bundles for
// policies that grant too much, and replays recorded decisions against a
// candidate bundle.
package authoring

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/loader/filter"
)

const (
	manifestFile   = ".manifest"
	caseFileSuffix = ".decisions.yaml"
	testFileSuffix = "_test.rego"
)

// Roots returns the policy sets under path: path itself and every directory
// below it that holds its own .manifest (a nested bundle), each tested on its
// own. A missing path is an error wrapping fs.ErrNotExist.
func Roots(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", path)
	}
	roots := []string{filepath.Clean(path)}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || filepath.Clean(p) == roots[0] {
			return err
		}
		if hasManifest(p) {
			roots = append(roots, filepath.Clean(p))
		}
		return nil
	})
	return roots, err
}

func hasManifest(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, manifestFile))
	return err == nil
}

// sourceFilter leaves out, under root, decision-case files, nested
// bundles and JSON or YAML files other than data.json and data.yaml (such
// as request files for pdp eval, which OPA's bundle reader ignores too);
// with tests false, also Rego test files (a loader filter: true leaves the
// file out).
func sourceFilter(root string, tests bool) filter.LoaderFilter {
	root = filepath.Clean(root)
	return func(path string, info fs.FileInfo, _ int) bool {
		if info.IsDir() {
			p := filepath.Clean(filepath.FromSlash(path))
			return p != root && hasManifest(p)
		}
		name := info.Name()
		return strings.HasSuffix(name, caseFileSuffix) || strayData(name) || (!tests && strings.HasSuffix(name, testFileSuffix))
	}
}

// strayData reports whether a file would be read as data by OPA's file
// loader but not by its bundle reader: a JSON or YAML file not named data.
func strayData(name string) bool {
	switch filepath.Ext(name) {
	case ".json", ".yaml", ".yml":
		return !bundle.IsStructuredDoc(name)
	}
	return false
}

// LoadBundle reads the policy set at root as the bundle pdp serve would get
// once it is built: test files, decision cases and nested bundles left out.
func LoadBundle(root string) (*bundle.Bundle, error) {
	loader := bundle.NewDirectoryLoader(root).WithFilter(sourceFilter(root, false))
	b, err := bundle.NewCustomReader(loader).WithBaseDir(root).WithProcessAnnotations(true).Read()
	if err != nil {
		return nil, fmt.Errorf("load policy set %q: %w", root, err)
	}
	return &b, nil
}

// isTestFile reports whether a module file is a Rego test.
func isTestFile(name string) bool { return strings.HasSuffix(name, testFileSuffix) }

// rel shows path relative to root when it lies below it.
func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return path
	}
	return filepath.ToSlash(r)
}

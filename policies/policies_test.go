// Package policies_test guards the example policy set: its Rego unit tests
// pass, its Rego is formatted, bundles/example is exactly what it builds, and
// every case of example.decisions.yaml is decided as the file says.
package policies_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

// skipCases keeps decision-case files out of the data the Rego tests see,
// like `opa test --ignore '*.decisions.yaml'`.
func skipCases(path string, info fs.FileInfo, _ int) bool {
	return !info.IsDir() && strings.HasSuffix(path, ".decisions.yaml")
}

// skipNested also leaves out the nested bundle sources (see authzen_test.go),
// which are tested on their own.
func skipNested(path string, info fs.FileInfo, depth int) bool {
	return skipCases(path, info, depth) || (info.IsDir() && inNestedBundle(info.Name()))
}

func TestRegoUnitTests(t *testing.T) {
	results := runRegoTests(t, ".", skipNested)
	if len(results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range results {
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			switch {
			case r.Error != nil:
				t.Errorf("%s: error: %v", r.Location, r.Error)
			case r.Fail:
				t.Errorf("%s: failed; run opa test -v policies --ignore '*.decisions.yaml' for a trace", r.Location)
			case r.Skip:
				t.Skip("todo_test_")
			}
		})
	}
}

func runRegoTests(t *testing.T, dir string, skip func(string, fs.FileInfo, int) bool) []*tester.Result {
	t.Helper()
	modules, store, err := tester.Load([]string{dir}, skip)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	ch, err := tester.NewRunner().SetStore(store).SetModules(modules).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatalf("run Rego tests: %v", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	return results
}

func TestRegoFormatted(t *testing.T) {
	var paths []string
	for _, dir := range append([]string{".", bundleDir}, nestedBundleDirs()...) {
		paths = append(paths, regoFiles(t, dir)...)
	}
	if len(paths) == 0 {
		t.Fatal("no .rego files found")
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := format.Source(path, src)
			if err != nil {
				t.Fatalf("format: %v", err)
			}
			if !bytes.Equal(got, src) {
				t.Errorf("not formatted; run: opa fmt -w %s", path)
			}
		})
	}
}

func regoFiles(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".rego") {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return paths
}

package authoring_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
)

// TestLintFindsPlantedProblems lints each bundle of testdata/lint, whose
// want.txt lists every planted problem as "file:line rule": each must be
// found at its line, and nothing else.
func TestLintFindsPlantedProblems(t *testing.T) {
	dirs, err := filepath.Glob("testdata/lint/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no lint testdata: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readLines(t, filepath.Join(dir, "want.txt"))
			findings, err := authoring.Lint(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule))
				if f.Severity == "" || f.Message == "" {
					t.Errorf("finding without severity or message: %v", f)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestLintOneFile lints single files: the findings of the file alone, in the
// context of its whole policy set (decision.rego uses rules of its sibling
// files), named relative to the file's directory.
func TestLintOneFile(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"testdata/lint/style/authz/policy.rego", []string{"policy.rego:3 opa-strict", "policy.rego:7 opa-fmt", "policy.rego:9 opa-strict"}},
		{"testdata/lint/parse-error/authz/policy.rego", []string{"policy.rego:7 opa-parse"}},
		{"testdata/lint/no-subject/authz/allow.rego", []string{"allow.rego:4 allow-without-subject"}},
		{"../../policies/authz/decision.rego", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			findings, err := authoring.Lint(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestLintAbsolutePath: the loader keys an absolute path's module without
// its leading "/"; findings must still name the file.
func TestLintAbsolutePath(t *testing.T) {
	dir, err := filepath.Abs("testdata/lint/style")
	if err != nil {
		t.Fatal(err)
	}
	for path, file := range map[string]string{dir: "authz/policy.rego", filepath.Join(dir, "authz", "policy.rego"): "policy.rego"} {
		findings, err := authoring.Lint(path)
		if err != nil || len(findings) != 3 || findings[1].Rule != "opa-fmt" || findings[1].File != file {
			t.Errorf("Lint(%s) = %v, %v; want 3 findings, the second opa-fmt in %s", path, findings, err, file)
		}
	}
}

func TestLintExamplePoliciesIsClean(t *testing.T) {
	for _, dir := range []string{"../../policies", exampleBundle} {
		findings, err := authoring.Lint(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range findings {
			t.Errorf("%s: %v", dir, f)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

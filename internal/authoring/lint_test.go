package authoring_test

import (
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
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

package authoring_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
)

func TestTestSets(t *testing.T) {
	tests := []struct {
		name     string
		root     string
		failed   []string // outcomes that must fail, by name
		passes   int      // at least this many outcomes pass
		output   []string
		coverage bool
	}{
		{"failing Rego test", "testdata/test/failing-rego", []string{"data.authz_test.test_viewer_allowed"}, 1,
			[]string{"--- FAIL: data.authz_test.test_viewer_allowed", "authz/policy_test.rego:9", "FAIL\ttestdata/test/failing-rego"}, false},
		{"failing decision cases", "testdata/test/failing-case",
			[]string{"cases.decisions.yaml/viewer is allowed", "cases.decisions.yaml/wrong reason"}, 1,
			[]string{"--- FAIL: cases.decisions.yaml/viewer is allowed", "cases.decisions.yaml:9: allow = false, want true",
				`cases.decisions.yaml:16: reasons = ["no_grant"], want ["nothing"]`}, false},
		{"example policies", "../../policies", nil, 60,
			[]string{"ok  \t../../policies", "coverage: ", "authz/abac.rego", "  decision  "}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := authoring.Test(context.Background(), tc.root, authoring.TestOptions{Coverage: tc.coverage})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			passes := 0
			for _, o := range res.Outcomes {
				if o.Pass {
					passes++
				} else {
					failed = append(failed, o.Name)
				}
			}
			if strings.Join(failed, "|") != strings.Join(tc.failed, "|") || passes < tc.passes {
				t.Errorf("failed %q (%d passed), want failed %q (>= %d passed)", failed, passes, tc.failed, tc.passes)
			}
			var out bytes.Buffer
			if ok := authoring.WriteTestReport(&out, res, false, 90); ok != (len(tc.failed) == 0) {
				t.Errorf("report ok = %v", ok)
			}
			for _, w := range tc.output {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestCoverageThreshold(t *testing.T) {
	res, err := authoring.Test(context.Background(), "testdata/test/partial-cover", authoring.TestOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	// No Rego tests, and one case that reaches neither grant's head.
	if res.Coverage == nil || res.Coverage.Percent >= 90 {
		t.Fatalf("coverage = %+v", res.Coverage)
	}
	var out bytes.Buffer
	authoring.WriteTestReport(&out, res, false, 90)
	if !strings.Contains(out.String(), "is below the threshold 90.0%") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestCoverageCountsCases: the lines decision cases reach count as
// covered, as those Rego tests reach do; a case filtered out by --run
// does not count.
func TestCoverageCountsCases(t *testing.T) {
	tests := []struct {
		root, run string
		covered   int
		percent   float64
	}{
		{"testdata/test/failing-case", "", 2, 100}, // no Rego tests: only the cases cover
		{"testdata/test/failing-case", "nothing matches", 0, 0},
		{"testdata/test/partial-cover", "", 2, 100 * 2.0 / 7}, // the default and the first condition of the owner grant
	}
	for _, tc := range tests {
		t.Run(tc.root+" "+tc.run, func(t *testing.T) {
			res, err := authoring.Test(context.Background(), tc.root, authoring.TestOptions{Coverage: true, Run: tc.run})
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Coverage; c == nil || c.Covered != tc.covered || int(c.Percent) != int(tc.percent) {
				t.Errorf("coverage = %+v, want %d lines covered (%.1f%%)", c, tc.covered, tc.percent)
			}
		})
	}
}

func TestRunFilter(t *testing.T) {
	res, err := authoring.Test(context.Background(), "testdata/test/failing-case", authoring.TestOptions{Run: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || !res.Outcomes[0].Pass {
		t.Fatalf("outcomes = %+v", res.Outcomes)
	}
}

// TestStrayRequestFiles: request files (*.json other than data.json) beside
// the policies are not data, for test and lint as for eval and bundle build.
func TestStrayRequestFiles(t *testing.T) {
	const root = "testdata/test/stray-json"
	res, err := authoring.Test(context.Background(), root, authoring.TestOptions{Coverage: true})
	if err != nil {
		t.Fatalf("test: %v", err)
	}
	if len(res.Outcomes) != 2 || res.Failed() {
		t.Errorf("outcomes = %+v", res.Outcomes)
	}
	findings, err := authoring.Lint(root)
	if err != nil || len(findings) != 0 {
		t.Errorf("lint: %v, %v", findings, err)
	}
}

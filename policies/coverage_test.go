package policies_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
)

// coverageThreshold is the line coverage the example policies must keep
// (what `pdp test --coverage --threshold 90 policies` enforces).
const coverageThreshold = 90

// TestCoverageGate runs pdp test's engine on the example policy set: every
// Rego test and decision case passes and the Rego tests cover at least
// coverageThreshold percent of the policy lines.
func TestCoverageGate(t *testing.T) {
	res, err := authoring.Test(context.Background(), ".", authoring.TestOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if !authoring.WriteTestReport(&out, res, false, coverageThreshold) {
		t.Errorf("pdp test failed:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())
}

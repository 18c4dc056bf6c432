package authoring

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
)

// Outcome is the result of one Rego test or decision case.
type Outcome struct {
	// Name is data.<package>.<test> for a Rego test, <file>/<case> for a
	// decision case.
	Name string
	// Location is file:line, relative to the policy set.
	Location string
	Pass     bool
	Skip     bool
	// Messages describe a failure.
	Messages []string
	Duration time.Duration
}

// policySet is a policy set as OPA's tester loads it: every module, tests
// included, and the data.
type policySet struct {
	modules map[string]*ast.Module
	store   storage.Store
}

// regoTests runs the Rego unit tests of the policy set at root with OPA's
// tester (the semantics of opa test), those whose name matches run when run
// is not empty. With cov set, it records coverage of the policy files.
func regoTests(ctx context.Context, root, run string, cov *cover.Cover) ([]Outcome, policySet, error) {
	modules, store, err := tester.Load([]string{root}, sourceFilter(root, true))
	if err != nil {
		return nil, policySet{}, fmt.Errorf("load %s: %w", root, err)
	}
	set := policySet{modules: modules, store: store}
	runner := tester.NewRunner().SetStore(store).SetModules(modules).Filter(run)
	if cov != nil {
		runner = runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, set, fmt.Errorf("run Rego tests in %s: %w", root, err)
	}
	var out []Outcome
	for r := range ch {
		out = append(out, outcome(root, r))
	}
	return out, set, nil
}

func outcome(root string, r *tester.Result) Outcome {
	o := Outcome{Name: r.Package + "." + r.Name, Pass: r.Pass(), Skip: r.Skip, Duration: r.Duration}
	if r.Location != nil {
		o.Location = fmt.Sprintf("%s:%d", rel(root, r.Location.File), r.Location.Row)
	}
	switch {
	case r.Error != nil:
		o.Messages = []string{"error: " + r.Error.Error()}
	case r.Fail && r.FailedAt != nil:
		o.Messages = []string{fmt.Sprintf("failed at %s:%d: %s", rel(root, r.FailedAt.Location.File),
			r.FailedAt.Location.Row, r.FailedAt.String())}
	case r.Fail:
		o.Messages = []string{"failed"}
	}
	return o
}

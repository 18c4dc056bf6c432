package authoring

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/cover"

	pdpbundle "github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestOptions configures Test.
type TestOptions struct {
	// Run keeps only the Rego tests and decision cases whose name matches.
	Run string
	// Coverage measures line coverage of the policy files.
	Coverage bool
	// Now is the clock that fills environment.time; nil is time.Now.
	Now func() time.Time
}

// SetResult is the outcome of testing one policy set.
type SetResult struct {
	Root     string
	Outcomes []Outcome
	// Coverage is nil unless asked for.
	Coverage *Coverage
	Duration time.Duration
}

// Failed reports whether any test or case failed.
func (r SetResult) Failed() bool {
	for _, o := range r.Outcomes {
		if !o.Pass && !o.Skip {
			return true
		}
	}
	return false
}

// Test runs the Rego unit tests and the decision cases of the policy set
// at root. An error means the set could not be tested at all (it does not
// parse, compile or load); failing tests are outcomes.
func Test(ctx context.Context, root string, opts TestOptions) (SetResult, error) {
	start := time.Now()
	var re *regexp.Regexp
	if opts.Run != "" {
		var err error
		if re, err = regexp.Compile(opts.Run); err != nil {
			return SetResult{}, fmt.Errorf("--run: %w", err)
		}
	}
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
	}
	outcomes, modules, err := regoTests(ctx, root, opts.Run, cov)
	if err != nil {
		return SetResult{}, err
	}
	cases, err := runCases(ctx, root, re, opts.Now)
	if err != nil {
		return SetResult{}, err
	}
	res := SetResult{Root: root, Outcomes: append(outcomes, cases...)}
	if cov != nil {
		res.Coverage = coverage(root, cov, modules)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// runCases evaluates every decision case under root through the PDP's
// engine, with the bundle root as pdp serve would activate it.
func runCases(ctx context.Context, root string, re *regexp.Regexp, now func() time.Time) ([]Outcome, error) {
	files, err := CaseFiles(root)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	eng, err := activate(ctx, root)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	var out []Outcome
	for _, file := range files {
		cases, err := LoadCases(file)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if name := rel(root, file) + "/" + c.Name; re == nil || re.MatchString(name) {
				out = append(out, runCase(ctx, eng, root, c, now()))
			}
		}
	}
	return out, nil
}

// activate loads the policy set at root into a fresh engine.
func activate(ctx context.Context, root string) (*engine.Engine, error) {
	b, err := LoadBundle(root)
	if err != nil {
		return nil, err
	}
	eng := engine.New(engine.Options{})
	if _, err := eng.Activate(ctx, map[string]*bundle.Bundle{pdpbundle.Name(root): b}); err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	return eng, nil
}

func runCase(ctx context.Context, eng *engine.Engine, root string, c Case, now time.Time) Outcome {
	start := time.Now()
	o := Outcome{Name: rel(root, c.File) + "/" + c.Name, Location: fmt.Sprintf("%s:%d", rel(root, c.File), c.Line)}
	q, err := caseQuery(c, now)
	if err == nil {
		var res pdp.Result
		if res, err = eng.Evaluate(ctx, q); err == nil {
			o.Messages = c.Expect.Mismatch(res)
		}
	}
	if err != nil {
		o.Messages = []string{err.Error()}
	}
	o.Pass, o.Duration = len(o.Messages) == 0, time.Since(start)
	return o
}

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
	outcomes, set, err := regoTests(ctx, root, opts.Run, cov)
	if err != nil {
		return SetResult{}, err
	}
	cases, queries, err := runCases(ctx, root, re, opts.Now)
	if err != nil {
		return SetResult{}, err
	}
	res := SetResult{Root: root, Outcomes: append(outcomes, cases...)}
	if cov != nil {
		if err := coverCases(ctx, set, queries, cov); err != nil {
			return SetResult{}, err
		}
		res.Coverage = coverage(root, cov, set.modules)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// runCases evaluates every decision case under root through the PDP's
// engine, with the bundle root as pdp serve would activate it. It also
// returns the queries it evaluated, their entrypoints resolved.
func runCases(ctx context.Context, root string, re *regexp.Regexp, now func() time.Time) ([]Outcome, []pdp.Query, error) {
	files, err := CaseFiles(root)
	if err != nil || len(files) == 0 {
		return nil, nil, err
	}
	eng, err := activate(ctx, root)
	if err != nil {
		return nil, nil, err
	}
	if now == nil {
		now = time.Now
	}
	var out []Outcome
	var queries []pdp.Query
	for _, file := range files {
		cases, err := LoadCases(file)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cases {
			if name := rel(root, file) + "/" + c.Name; re == nil || re.MatchString(name) {
				o, q := runCase(ctx, eng, root, c, now())
				out, queries = append(out, o), appendResolved(queries, eng, q)
			}
		}
	}
	return out, queries, nil
}

// appendResolved appends q with its entrypoint resolved as the engine
// resolves it; a query that does not resolve (the case failed) is left out.
func appendResolved(queries []pdp.Query, eng *engine.Engine, q *pdp.Query) []pdp.Query {
	if q == nil {
		return queries
	}
	if _, ep, err := eng.Target(q.Entrypoint); err == nil {
		q.Entrypoint = ep
		return append(queries, *q)
	}
	return queries
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

// runCase evaluates one case; it returns the query evaluated, nil when the
// case's input is not a valid request.
func runCase(ctx context.Context, eng *engine.Engine, root string, c Case, now time.Time) (Outcome, *pdp.Query) {
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
	if q.Input == nil {
		return o, nil
	}
	return o, &q
}

package authoring

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/pdp-project/pdp/internal/pdp"
)

// coverCases evaluates the decision cases' queries once more, with OPA's
// coverage tracer, over the policy set as the tester loaded it: what the
// cases reach counts as covered, as what the Rego tests reach does.
func coverCases(ctx context.Context, set policySet, queries []pdp.Query, cov *cover.Cover) error {
	if len(queries) == 0 {
		return nil
	}
	compiler := ast.NewCompiler()
	if compiler.Compile(set.modules); compiler.Failed() {
		return fmt.Errorf("compile for coverage: %w", compiler.Errors)
	}
	prepared := map[string]rego.PreparedEvalQuery{}
	for _, q := range queries {
		pq, ok := prepared[q.Entrypoint]
		if !ok {
			var err error
			if pq, err = prepareEntrypoint(ctx, set, compiler, q.Entrypoint); err != nil {
				return err
			}
			prepared[q.Entrypoint] = pq
		}
		if _, err := pq.Eval(ctx, rego.EvalInput(q.Input), rego.EvalQueryTracer(cov)); err != nil {
			return fmt.Errorf("coverage of %s: %w", q.Entrypoint, err)
		}
	}
	return nil
}

// prepareEntrypoint prepares the query of an entrypoint path (a/b: data.a.b).
func prepareEntrypoint(ctx context.Context, set policySet, c *ast.Compiler, entrypoint string) (rego.PreparedEvalQuery, error) {
	ref := ast.DefaultRootRef.Copy()
	for _, seg := range strings.Split(entrypoint, "/") {
		ref = append(ref, ast.StringTerm(seg))
	}
	pq, err := rego.New(rego.Query(ref.String()), rego.Compiler(c), rego.Store(set.store)).PrepareForEval(ctx)
	if err != nil {
		return pq, fmt.Errorf("coverage of %s: %w", entrypoint, err)
	}
	return pq, nil
}

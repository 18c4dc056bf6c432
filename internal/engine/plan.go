package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Resource plans: "which resources of this type may the subject act on",
// answered by partially evaluating an entrypoint with input.resource.id and
// input.resource.attributes unknown, then translating what OPA leaves
// (residual queries and support rules) into a pdp.Condition. The
// translation is exact or refused: a resource is allowed by the plan if and
// only if Evaluate would allow it with the same input plus that resource's
// id and attributes. Anything the translator cannot prove it expresses
// exactly is a FailedPrecondition naming the rule and the expression.

// planUnknowns are the parts of input a plan leaves open.
var planUnknowns = []*ast.Term{
	ast.MustParseTerm("input.resource.id"),
	ast.MustParseTerm("input.resource.attributes"),
}

// resultVar names the entrypoint's value in the partially evaluated query.
const resultVar = ast.Var("__pdp_plan_result__")

// maxNesting bounds partial evaluations started for rules the residual
// still refers to (see translator.original).
const maxNesting = 4

// PlanResources answers q from the active bundle set: always allowed,
// always denied, or allowed under a condition on resource.id and
// resource.attributes. Errors: Unavailable (no bundle set), InvalidArgument
// on "policy" (undeclared entrypoint), FailedPrecondition (the policy
// cannot be expressed exactly as a condition), or ctx's error.
func (e *Engine) PlanResources(ctx context.Context, q pdp.PlanQuery) (pdp.ResourcePlan, error) {
	set := e.active.Load()
	if set == nil {
		return pdp.ResourcePlan{}, pdp.Unavailable("no policy bundle is active", nil)
	}
	ep, _, err := set.query(q.Entrypoint)
	if err != nil {
		return pdp.ResourcePlan{}, err
	}
	plan, err := set.planResources(ctx, ep, q)
	if err != nil {
		return pdp.ResourcePlan{}, planError(ep, err)
	}
	plan.BundleRevision, plan.BundleDigest, plan.Entrypoint = set.revision, set.digest, ep
	return plan, nil
}

// planError keeps coded errors and context errors, and wraps the rest.
func planError(ep string, err error) error {
	var coded *pdp.Error
	if errors.As(err, &coded) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("plan %s: %w", ep, err)
}

func (c *compiled) planResources(ctx context.Context, ep string, q pdp.PlanQuery) (pdp.ResourcePlan, error) {
	ref, err := entrypointRef(ep)
	if err != nil {
		return pdp.ResourcePlan{}, err
	}
	input, err := inputValue(planInput(q))
	if err != nil {
		return pdp.ResourcePlan{}, pdp.InvalidField("input", err.Error())
	}
	t := &translator{ctx: ctx, set: c, input: input, chain: []string{ref.String()}}
	allow, err := t.entrypoint(ref)
	if err != nil {
		return pdp.ResourcePlan{}, err
	}
	return planOf(allow), nil
}

// planInput is q.Input with input.resource holding only the type.
func planInput(q pdp.PlanQuery) map[string]any {
	input := maps.Clone(q.Input)
	if input == nil {
		input = map[string]any{}
	}
	typ := q.ResourceType
	if typ == "" {
		if r, ok := input["resource"].(map[string]any); ok {
			typ, _ = r["type"].(string)
		}
	}
	input["resource"] = map[string]any{"type": typ}
	return input
}

// planOf turns an allow condition into a plan.
func planOf(allow pdp.Condition) pdp.ResourcePlan {
	switch {
	case isTrue(allow):
		return pdp.ResourcePlan{Kind: pdp.PlanAlwaysAllowed}
	case isFalse(allow):
		return pdp.ResourcePlan{Kind: pdp.PlanAlwaysDenied}
	}
	return pdp.ResourcePlan{Kind: pdp.PlanConditional, Condition: &allow}
}

// partial partially evaluates `resultVar = ref` against the bundle set.
func (c *compiled) partial(ctx context.Context, ref ast.Ref, input ast.Value) (*rego.PartialQueries, error) {
	pq, err := c.preparedPartial(ctx, ref)
	if err == nil {
		var out *rego.PartialQueries
		if out, err = pq.Partial(ctx, rego.EvalParsedInput(input)); err == nil {
			return out, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, refuse(nil, "partial evaluation of %s failed: %v", ref, err)
}

// preparedPartial prepares the partial evaluation of ref once per bundle
// set: unknowns as planUnknowns, and shallow inlining, so that every rule
// that depends on them reaches the translator as a support rule (inlining
// would merge a rule's definitions and lose OPA's conflict error).
func (c *compiled) preparedPartial(ctx context.Context, ref ast.Ref) (rego.PreparedPartialQuery, error) {
	key := ref.String()
	if pq, ok := c.partials.Load(key); ok {
		return pq.(rego.PreparedPartialQuery), nil
	}
	query := ast.NewBody(ast.Equality.Expr(ast.VarTerm(string(resultVar)), ast.NewTerm(ref)))
	pq, err := rego.New(rego.ParsedQuery(query), rego.Compiler(c.compiler), rego.Store(c.store),
		rego.ParsedUnknowns(planUnknowns), rego.ShallowInlining(true)).PrepareForPartial(ctx)
	if err != nil {
		return pq, err
	}
	c.partials.Store(key, pq)
	return pq, nil
}

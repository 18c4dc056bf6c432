package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Evaluate evaluates q.Input at q.Entrypoint ("" is the default entrypoint)
// against the active bundle set. It returns an error only when no bundle set
// is active (Unavailable), when the entrypoint is not declared (InvalidArgument
// on field "policy") or when ctx ends; every other outcome is a Result, and
// Allow is true only for an explicit true.
func (e *Engine) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	set := e.active.Load()
	if set == nil {
		return pdp.Result{}, pdp.Unavailable("no policy bundle is active", nil)
	}
	growStack(false) // stack.go
	ep, pq, err := set.query(q.Entrypoint)
	if err != nil {
		return pdp.Result{}, err
	}
	var res pdp.Result
	if q.Explain { // explain.go: evaluated with a tracer, never the fast path
		res, err = e.explain(ctx, pq, ep, q.Input)
	} else {
		res, err = e.eval(ctx, pq, q.Input)
	}
	if err != nil {
		return pdp.Result{}, fmt.Errorf("evaluate %s: %w", ep, err)
	}
	res.BundleRevision, res.BundleDigest, res.Entrypoint = set.revision, set.digest, ep
	e.logOutcome(ctx, res, set.mask != nil)
	return res, nil
}

// query finds the prepared query of an entrypoint the bundle set declares.
func (c *compiled) query(entrypoint string) (string, rego.PreparedEvalQuery, error) {
	if entrypoint == "" {
		entrypoint = c.defaultEntrypoint
	}
	pq, ok := c.queries[entrypoint]
	if !ok {
		return "", pq, pdp.InvalidField("policy", fmt.Sprintf("entrypoint %q is not declared by the active bundle", entrypoint))
	}
	return entrypoint, pq, nil
}

// eval runs one prepared query. It returns an error only when ctx ended;
// an evaluation error becomes a deny with Err set.
func (e *Engine) eval(ctx context.Context, pq rego.PreparedEvalQuery, input map[string]any) (pdp.Result, error) {
	value, err := inputValue(input)
	if err != nil {
		return evaluationError(fmt.Errorf("convert input: %w", err)), nil
	}
	// Cancel through context.AfterFunc rather than the goroutine per
	// evaluation that rego starts otherwise.
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	// metrics.NoOp: rego would otherwise build a metrics registry per
	// evaluation that nothing reads.
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(value), rego.EvalExternalCancel(cancel),
		rego.EvalMetrics(metrics.NoOp()))
	stop()
	if ctx.Err() != nil {
		return pdp.Result{}, ctx.Err()
	}
	if err != nil {
		return evaluationError(err), nil
	}
	return interpret(rs), nil
}

func evaluationError(err error) pdp.Result {
	res := pdp.Deny(pdp.ReasonEvaluationError)
	res.Err = err.Error()
	return res
}

// logOutcome logs the denies that point at a broken policy. When the bundle
// set has a mask rule, the error text is left out: it may quote input values
// the rule masks (the decision service logs it once masked).
func (e *Engine) logOutcome(ctx context.Context, res pdp.Result, masking bool) {
	if res.Err != "" {
		attrs := []any{"bundle_revision", res.BundleRevision, "entrypoint", res.Entrypoint}
		if !masking {
			attrs = append(attrs, "error", res.Err)
		}
		e.log.ErrorContext(ctx, "policy evaluation error", attrs...)
		return
	}
	if len(res.Reasons) == 1 && res.Reasons[0] == pdp.ReasonInvalidResult {
		e.log.WarnContext(ctx, "policy returned an invalid result", "bundle_revision", res.BundleRevision,
			"entrypoint", res.Entrypoint)
	}
}

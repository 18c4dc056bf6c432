package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/pdp-project/pdp/internal/pdp"
)

// maskRef is OPA's decision-log masking rule.
var maskRef = ast.MustParseRef("data.system.log.mask")

// prepareMask prepares data.system.log.mask when the bundles define it; nil
// otherwise.
func prepareMask(ctx context.Context, store storage.Store, c *ast.Compiler) (*rego.PreparedEvalQuery, error) {
	if !defined(ctx, store, c, maskRef) {
		return nil, nil
	}
	pq, err := rego.New(
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(maskRef)))),
		rego.Compiler(c), rego.Store(store),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare data.system.log.mask: %w", err)
	}
	return &pq, nil
}

// MaskOps evaluates data.system.log.mask of the active bundle set with
// event (OPA's decision-log event: input, result, ...) as input, and
// returns its instructions as plain data: a JSON pointer string is a
// removal, an object {"op": "upsert"|"remove", "path", "value"} is used as
// is. defined is false when no bundle defines the rule or it is undefined
// for event. err reports an evaluation error or a malformed result (a
// pointer outside /input, an unknown op); the caller erases the whole input
// then.
func (e *Engine) MaskOps(ctx context.Context, event func() map[string]any) ([]pdp.MaskOp, bool, error) {
	set := e.active.Load()
	if set == nil || set.mask == nil {
		return nil, false, nil
	}
	value, err := inputValue(event())
	if err != nil {
		return nil, true, fmt.Errorf("mask input: %w", err)
	}
	rs, err := set.mask.Eval(ctx, rego.EvalParsedInput(value))
	if err != nil {
		return nil, true, fmt.Errorf("evaluate data.system.log.mask: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false, nil
	}
	ops, err := maskOps(rs[0].Expressions[0].Value)
	return ops, true, err
}

// maskOps reads the rule's value: a set or array of pointers and op objects.
func maskOps(v any) ([]pdp.MaskOp, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("data.system.log.mask: want a set or array, got %T", v)
	}
	ops := make([]pdp.MaskOp, 0, len(list))
	for _, item := range list {
		op, err := maskOp(item)
		if err != nil {
			return nil, fmt.Errorf("data.system.log.mask: %w", err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func maskOp(item any) (pdp.MaskOp, error) {
	op := pdp.MaskOp{Op: pdp.MaskRemove}
	switch x := item.(type) {
	case string:
		op.Path = x
	case map[string]any:
		op.Path, _ = x["path"].(string)
		if name, ok := x["op"].(string); ok {
			op.Op = name
		}
		op.Value = x["value"]
	default:
		return op, fmt.Errorf("entry %v is neither a pointer nor an op object", item)
	}
	if op.Op != pdp.MaskRemove && op.Op != pdp.MaskUpsert {
		return op, fmt.Errorf("op %q: want remove or upsert", op.Op)
	}
	if op.Path != "/input" && (len(op.Path) < 7 || op.Path[:7] != "/input/") {
		return op, fmt.Errorf("pointer %q does not name /input/...", op.Path)
	}
	return op, nil
}

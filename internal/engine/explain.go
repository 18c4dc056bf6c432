package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/pdp-project/pdp/internal/pdp"
)

// maxExplainedRules bounds the rules an explanation lists.
const maxExplainedRules = 50

// explain evaluates like eval with a tracer that notes every rule that held
// and the value it produced, then fills Result.Explanation with an account a
// person can read: the outcome, the rule that produced it, where each reason
// came from, and the other rules that held. It is not a trace dump.
func (e *Engine) explain(ctx context.Context, pq rego.PreparedEvalQuery, ep string, input map[string]any) (pdp.Result, error) {
	value, err := ast.InterfaceToValue(input)
	if err != nil {
		return evaluationError(fmt.Errorf("convert input: %w", err)), nil
	}
	tr := &ruleTracer{}
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(value), rego.EvalExternalCancel(cancel), rego.EvalQueryTracer(tr))
	stop()
	if ctx.Err() != nil {
		return pdp.Result{}, ctx.Err()
	}
	res := interpret(rs)
	if err != nil {
		res = evaluationError(err)
	}
	res.Explanation = renderExplanation(ep, res, tr.held())
	return res, nil
}

// heldRule is one rule definition that held, with what it produced.
type heldRule struct {
	where string // file:line
	rule  string // e.g. denials contains "insufficient_clearance"
	ref   string // the rule's path, e.g. data.authz.denials
	value *ast.Term
}

// ruleTracer records rule exits, plugging each head while its bindings are
// live (they change once the event has passed).
type ruleTracer struct {
	mu    sync.Mutex
	rules []heldRule
}

var _ topdown.QueryTracer = (*ruleTracer)(nil)

func (*ruleTracer) Enabled() bool               { return true }
func (*ruleTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }
func (t *ruleTracer) TraceEvent(evt topdown.Event) {
	rule, ok := evt.Node.(*ast.Rule)
	if evt.Op != topdown.ExitOp || !ok || rule.Head == nil {
		return
	}
	h := rule.Head
	r := heldRule{ref: rule.Ref().GroundPrefix().String(), where: location(rule.Location)}
	name := evt.Plug(ast.NewTerm(h.Ref())).String()
	if call := evt.Plug(ast.CallTerm(append([]*ast.Term{ast.NewTerm(h.Ref())}, h.Args...)...)); len(h.Args) > 0 && call.IsGround() {
		name = call.String()
	}
	switch {
	case h.Key != nil && h.Value == nil:
		r.value = evt.Plug(h.Key)
		r.rule = fmt.Sprintf("%s contains %v", name, r.value)
	case h.Value != nil:
		r.value = evt.Plug(h.Value)
		r.rule = fmt.Sprintf("%s = %v", name, r.value)
	default:
		return
	}
	if rule.Default {
		r.rule = "default " + r.rule
	}
	t.mu.Lock()
	t.rules = append(t.rules, r)
	t.mu.Unlock()
}

// held returns the recorded rules once each, in evaluation order.
func (t *ruleTracer) held() []heldRule {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	var out []heldRule
	for _, r := range t.rules {
		if key := r.where + r.rule; !seen[key] && !strings.HasPrefix(r.ref, "data.system.") {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}

func location(loc *ast.Location) string {
	if loc == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(loc.File), loc.Row)
}

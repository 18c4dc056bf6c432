package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// translator turns one partial evaluation's residual into conditions.
type translator struct {
	ctx   context.Context
	set   *compiled
	input ast.Value
	depth int      // of nested partial evaluations (original)
	chain []string // the documents those evaluate, outermost first
	// support holds the support rules by path (data.partial....).
	support map[string][]*ast.Rule
	// done memoises rule values; busy detects recursion.
	done map[string]gval
	busy map[string]bool
	// rule names the rule being translated, for refusals.
	rule string
}

// env binds the variables of one body.
type env map[ast.Var]gval

// refusal says why a residual cannot be expressed exactly, and where.
type refusal struct {
	why  string
	rule string
	loc  *ast.Location
	text string
}

func (r *refusal) Error() string {
	var b strings.Builder
	b.WriteString("resource plan refused: ")
	b.WriteString(r.why)
	if r.rule != "" {
		fmt.Fprintf(&b, "; rule %s", r.rule)
	}
	if r.loc != nil && r.loc.File != "" {
		fmt.Fprintf(&b, " at %s:%d", r.loc.File, r.loc.Row)
	}
	if r.text != "" {
		fmt.Fprintf(&b, ": %s", r.text)
	}
	return b.String()
}

// refuse builds a refusal about node (an *ast.Expr, *ast.Term or nil).
func refuse(node any, format string, args ...any) *refusal {
	r := &refusal{why: fmt.Sprintf(format, args...)}
	switch n := node.(type) {
	case *ast.Expr:
		if n != nil {
			r.loc, r.text = n.Location, sourceText(n.Location, n.String())
		}
	case *ast.Term:
		if n != nil {
			r.loc, r.text = n.Location, sourceText(n.Location, n.String())
		}
	}
	return r
}

// sourceText prefers the policy's own text over the residual's rewriting.
func sourceText(loc *ast.Location, fallback string) string {
	if loc != nil && len(loc.Text) > 0 {
		return string(loc.Text)
	}
	return fallback
}

// at fills in the rule and location of a refusal raised below expr.
func (t *translator) at(expr *ast.Expr, err error) error {
	var r *refusal
	if !errors.As(err, &r) {
		return err
	}
	if r.rule == "" {
		r.rule = t.rule
	}
	if r.loc == nil && expr != nil {
		r.loc, r.text = expr.Location, sourceText(expr.Location, expr.String())
	}
	return r
}

// entrypoint partially evaluates ref and returns the condition under which
// its value allows.
func (t *translator) entrypoint(ref ast.Ref) (pdp.Condition, error) {
	g, err := t.document(ref)
	if err != nil {
		return condFalse, asPlanError(err)
	}
	cs := make([]pdp.Condition, 0, len(g))
	for _, a := range g {
		c, err := allows(a.val)
		if err != nil {
			return condFalse, asPlanError(t.at(nil, err))
		}
		cs = append(cs, and(a.cond, c))
	}
	return or(cs...), nil
}

// asPlanError turns a refusal into a FailedPrecondition.
func asPlanError(err error) error {
	var r *refusal
	if errors.As(err, &r) {
		return &pdp.Error{Code: pdp.CodeFailedPrecondition, Msg: r.Error()}
	}
	return err
}

// document partially evaluates ref and returns its guarded value: every
// residual query binds the result under its condition.
func (t *translator) document(ref ast.Ref) (gval, error) {
	pq, err := t.set.partial(t.ctx, ref, t.input)
	if err != nil {
		return nil, err
	}
	t.support, t.done, t.busy = supportRules(pq.Support), map[string]gval{}, map[string]bool{}
	t.rule = strings.TrimPrefix(ref.String(), "data.")
	var defs []definition
	for _, body := range pq.Queries {
		e := env{}
		cond, err := t.body(body, e)
		if err != nil {
			return nil, err
		}
		g, ok := e[resultVar]
		if !ok && !isFalse(cond) {
			return nil, refuse(nil, "the residual of %v does not bind its value", ref)
		}
		defs = append(defs, definition{cond: cond, value: g, body: body})
	}
	return t.merge(defs, nil)
}

// body translates a conjunction of expressions, binding variables in e.
func (t *translator) body(b ast.Body, e env) (pdp.Condition, error) {
	cond := condTrue
	for _, x := range b {
		if err := t.ctx.Err(); err != nil {
			return condFalse, err
		}
		c, err := t.expr(x, e)
		if err != nil {
			return condFalse, t.at(x, err)
		}
		if cond = and(cond, c); isFalse(cond) {
			return condFalse, nil // evaluation stops here: later expressions never run
		}
	}
	return cond, nil
}

// expr translates one expression to the condition under which it succeeds.
func (t *translator) expr(x *ast.Expr, e env) (pdp.Condition, error) {
	if len(x.With) > 0 {
		return condFalse, refuse(x, "`with` in a residual")
	}
	switch terms := x.Terms.(type) {
	case *ast.Term:
		g, err := t.term(terms, e)
		if err != nil {
			return condFalse, err
		}
		if x.Negated {
			return not(g.truthy()), nil
		}
		return g.truthy(), nil
	case []*ast.Term:
		if x.Negated {
			return t.negatedCall(x, e)
		}
		return t.call(x, e)
	case *ast.SomeDecl:
		if len(terms.Symbols) > 0 && isCall(terms.Symbols[0]) {
			return condFalse, refuse(x, "iteration (`some ... in`) over values the plan does not know")
		}
		return condTrue, nil
	}
	return condFalse, refuse(x, "`every` or another expression form a plan does not translate")
}

func isCall(t *ast.Term) bool {
	_, ok := t.Value.(ast.Call)
	return ok
}

// negatedCall translates `not f(args)`. Unification (`not a = b`) negates
// plainly; for any other call OPA's compiler evaluates reference arguments
// before the negation, so an undefined argument makes the whole expression
// undefined rather than true.
func (t *translator) negatedCall(x *ast.Expr, e env) (pdp.Condition, error) {
	inner := env{}
	for k, v := range e {
		inner[k] = v // bindings made under `not` stay there
	}
	c, err := t.call(x, inner)
	if err != nil {
		return condFalse, err
	}
	if x.IsEquality() || x.IsAssignment() {
		return not(c), nil
	}
	pre := condTrue
	for _, arg := range x.Operands() {
		if _, ok := arg.Value.(ast.Var); ok {
			continue // bound before, so defined
		}
		g, err := t.term(arg, e)
		if err != nil {
			return condFalse, err
		}
		pre = and(pre, g.defined())
	}
	return and(pre, not(c)), nil
}

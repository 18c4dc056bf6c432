package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/pdp-project/pdp/internal/pdp"
)

// apply evaluates the built-in name on args: count and sort of a set
// become symbolic values; any other built-in must see ground arguments in
// every combination of their alternatives, and OPA computes it. node is
// the term or output the refusal points at (nil: the expression).
func (t *translator) apply(node *ast.Term, name string, args []*ast.Term, e env) (gval, error) {
	bi, ok := ast.BuiltinMap[name]
	if !ok {
		return nil, refuse(node, "a call of function %s", name)
	}
	if bi.Nondeterministic {
		return nil, refuse(node, "the non-deterministic built-in %s", name)
	}
	gs := make([]gval, len(args))
	for i, a := range args {
		g, err := t.term(a, e)
		if err != nil {
			return nil, err
		}
		gs[i] = g
	}
	if g, ok := setBuiltin(name, gs); ok {
		return g, nil
	}
	var out gval
	for _, combo := range product(gs) {
		g, err := t.applyGround(node, name, combo)
		if err != nil {
			return nil, err
		}
		out = append(out, g...)
	}
	return out, nil
}

// setBuiltin handles count and sort of a set built by rules.
func setBuiltin(name string, gs []gval) (gval, bool) {
	if len(gs) != 1 || len(gs[0]) != 1 || gs[0][0].val.kind != vSet {
		return nil, false
	}
	s := gs[0][0].val.set
	switch name {
	case ast.Count.Name:
		return single(value{kind: vCount, set: s}), true
	case ast.Sort.Name:
		return single(value{kind: vSorted, set: s}), true
	}
	return nil, false
}

// combo is one choice of alternative per argument.
type combo struct {
	cond pdp.Condition
	vals []value
}

func product(gs []gval) []combo {
	out := []combo{{cond: condTrue}}
	for _, g := range gs {
		var next []combo
		for _, c := range out {
			for _, a := range g {
				if cond := and(c.cond, a.defined()); !isFalse(cond) {
					next = append(next, combo{cond: cond, vals: append(append([]value(nil), c.vals...), a.val)})
				}
			}
		}
		out = next
	}
	return out
}

func (t *translator) applyGround(node *ast.Term, name string, c combo) (gval, error) {
	args := make([]ast.Value, len(c.vals))
	for i, v := range c.vals {
		if v.kind != vConst {
			return nil, refuse(node, "the built-in %s applied to %s", name, v.describe())
		}
		args[i] = v.c
	}
	res, ok, err := t.evalBuiltin(name, args)
	if err != nil {
		return nil, refuse(node, "the built-in %s failed: %v", name, err)
	}
	if !ok {
		return nil, nil
	}
	return constVal(res).guard(c.cond), nil
}

// interpretValue reads a ground entrypoint value as Evaluate does.
func interpretValue(x any) pdp.Result {
	return interpret(rego.ResultSet{{Expressions: []*rego.ExpressionValue{{Value: x}}}})
}

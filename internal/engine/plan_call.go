package engine

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// term evaluates a term of the residual to a guarded value.
func (t *translator) term(x *ast.Term, e env) (gval, error) {
	switch v := x.Value.(type) {
	case ast.Var:
		if g, ok := e[v]; ok {
			return g, nil
		}
		return nil, refuse(x, "variable %v is used before it is bound", v)
	case ast.Ref:
		return t.ref(x, v, e)
	case ast.Call:
		return t.apply(x, v[0].String(), v[1:], e)
	case ast.Object:
		if !ast.IsConstant(v) {
			return t.object(x, v, e)
		}
	case *ast.Array:
		if !ast.IsConstant(v) {
			return t.array(v, e)
		}
	}
	if !ast.IsConstant(x.Value) {
		return nil, refuse(x, "a composite value or comprehension built from values the plan does not know")
	}
	return constVal(x.Value), nil
}

// ref evaluates a reference: a resource field, a support rule, a rule of
// the bundle, or a member of a bound object.
func (t *translator) ref(x *ast.Term, ref ast.Ref, e env) (gval, error) {
	head := ref[0]
	switch {
	case head.Equal(ast.InputRootDocument):
		path, ok, err := fieldPath(ref)
		if err != nil || !ok {
			return nil, refuse(x, "reference to input a plan cannot translate: %v", errOr(err, ref))
		}
		return single(value{kind: vField, field: path}), nil
	case head.Equal(ast.DefaultRootDocument):
		if !ref.IsGround() {
			return nil, refuse(x, "a data reference with a variable key")
		}
		key := ref.String()
		if rules, ok := t.support[key]; ok {
			return t.supportRule(key, rules)
		}
		if strings.HasPrefix(key, "data.partial.") {
			return nil, refuse(x, "a reference into a partially evaluated rule")
		}
		return t.original(ref)
	}
	return t.member(x, ref, e)
}

func errOr(err error, v any) any {
	if err != nil {
		return err
	}
	return v
}

// member evaluates var.key... on a bound constant or symbolic object.
func (t *translator) member(x *ast.Term, ref ast.Ref, e env) (gval, error) {
	g, err := t.term(ref[0], e)
	if err != nil {
		return nil, err
	}
	for _, k := range ref[1:] {
		if !k.IsGround() {
			return nil, refuse(x, "iteration over values the plan does not know")
		}
		var out gval
		for _, a := range g {
			v, ok := a.val.get(k.Value)
			if !ok {
				return nil, refuse(x, "a member of a value the plan does not know")
			}
			out = append(out, v.guard(a.cond)...)
		}
		g = out
	}
	return g, nil
}

// get looks k up in a constant or symbolic object; ok is false when v is
// neither (the member is then unknown), and an absent member is an empty
// guarded value.
func (v value) get(k ast.Value) (gval, bool) {
	switch v.kind {
	case vConst:
		switch c := v.c.(type) {
		case ast.Object:
			if m := c.Get(ast.NewTerm(k)); m != nil {
				return constVal(m.Value), true
			}
			return nil, true
		case *ast.Array:
			if m := c.Get(ast.NewTerm(k)); m != nil {
				return constVal(m.Value), true
			}
			return nil, true
		}
		return nil, true // a scalar has no members: undefined
	case vObject:
		s, ok := k.(ast.String)
		if !ok {
			return nil, true
		}
		if m, ok := v.obj[string(s)]; ok {
			return single(m), true
		}
		return nil, true
	}
	return nil, false
}

// guard adds cond to every alternative of g.
func (g gval) guard(cond pdp.Condition) gval {
	out := make(gval, 0, len(g))
	for _, a := range g {
		if c := and(cond, a.cond); !isFalse(c) {
			out = append(out, alt{cond: c, val: a.val})
		}
	}
	return out
}

// object evaluates an object with ground keys and symbolic members.
func (t *translator) object(x *ast.Term, obj ast.Object, e env) (gval, error) {
	out := gval{{cond: condTrue, val: value{kind: vObject, obj: map[string]value{}}}}
	for _, k := range obj.Keys() {
		key, ok := k.Value.(ast.String)
		if !ok {
			return nil, refuse(x, "an object with a key that is not a constant string")
		}
		g, err := t.term(obj.Get(k), e)
		if err != nil {
			return nil, err
		}
		out = extend(out, string(key), g)
	}
	return out, nil
}

// array evaluates an array with symbolic elements.
func (t *translator) array(arr *ast.Array, e env) (gval, error) {
	gs := make([]gval, arr.Len())
	for i := range gs {
		g, err := t.term(arr.Elem(i), e)
		if err != nil {
			return nil, err
		}
		gs[i] = g
	}
	var out gval
	for _, c := range product(gs) {
		out = append(out, alt{cond: c.cond, val: value{kind: vArray, elems: c.vals}})
	}
	return out, nil
}

// extend adds member key to every object of out, one copy per
// alternative of g.
func extend(out gval, key string, g gval) gval {
	var next gval
	for _, o := range out {
		for _, a := range g {
			c := and(o.cond, a.defined())
			if isFalse(c) {
				continue
			}
			m := make(map[string]value, len(o.val.obj)+1)
			for k, v := range o.val.obj {
				m[k] = v
			}
			m[key] = a.val
			next = append(next, alt{cond: c, val: value{kind: vObject, obj: m}})
		}
	}
	return next
}

// call translates a call expression to the condition under which it
// succeeds.
func (t *translator) call(x *ast.Expr, e env) (pdp.Condition, error) {
	name, ops := x.Operator().String(), x.Operands()
	if name == "eq" || name == "assign" {
		return t.unify(ops[0], ops[1], e)
	}
	if c, ok, err := t.predicate(x, name, ops, e); ok || err != nil {
		return c, err
	}
	bi, ok := ast.BuiltinMap[name]
	if !ok {
		return condFalse, refuse(x, "a call of function %s", name)
	}
	if n := len(bi.Decl.FuncArgs().Args); len(ops) == n+1 {
		res, err := t.apply(ops[n], name, ops[:n], e)
		if err != nil {
			return condFalse, err
		}
		return t.unifyValue(ops[n], res, e)
	}
	res, err := t.apply(nil, name, ops, e)
	if err != nil {
		return condFalse, err
	}
	return res.truthy(), nil
}

// unify translates a = b: a binding when one side is an unbound variable,
// an equality otherwise.
func (t *translator) unify(a, b *ast.Term, e env) (pdp.Condition, error) {
	if v, ok := b.Value.(ast.Var); ok && e[v] == nil {
		a, b = b, a
	}
	if v, ok := a.Value.(ast.Var); ok && e[v] == nil {
		g, err := t.term(b, e)
		if err != nil {
			return condFalse, err
		}
		return bind(e, v, g), nil
	}
	g, err := t.term(b, e)
	if err != nil {
		return condFalse, err
	}
	return t.unifyValue(a, g, e)
}

// unifyValue unifies term a with the value g.
func (t *translator) unifyValue(a *ast.Term, g gval, e env) (pdp.Condition, error) {
	if v, ok := a.Value.(ast.Var); ok && e[v] == nil {
		return bind(e, v, g), nil
	}
	ga, err := t.term(a, e)
	if err != nil {
		return condFalse, err
	}
	return compare(a, pdp.OpEq, ga, g)
}

func bind(e env, v ast.Var, g gval) pdp.Condition {
	e[v] = g
	if g == nil {
		e[v] = gval{} // bound, never defined
	}
	return g.defined()
}

package engine

import (
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// definition is one way a document gets a value: a rule body (or residual
// query) and the value it gives under its condition.
type definition struct {
	cond  pdp.Condition
	value gval
	body  ast.Body
}

// supportRules indexes the support modules of a partial evaluation by the
// path of the document each rule defines.
func supportRules(mods []*ast.Module) map[string][]*ast.Rule {
	out := map[string][]*ast.Rule{}
	for _, m := range mods {
		for _, r := range m.Rules {
			path := m.Package.Path.Extend(r.Head.Ref()).String()
			out[path] = append(out[path], r)
		}
	}
	return out
}

// supportRule evaluates the document that support rules define.
func (t *translator) supportRule(key string, rules []*ast.Rule) (gval, error) {
	if g, ok := t.done[key]; ok {
		return g, nil
	}
	if t.busy[key] {
		return nil, refuse(nil, "recursion through %s", key)
	}
	t.busy[key] = true
	saved := t.rule
	if !strings.HasPrefix(key[strings.LastIndexByte(key, '.')+1:], "__not") { // OPA's negation helpers keep the rule they serve
		t.rule = strings.Replace(key, "data.partial.", "", 1)
	}
	defer func() { t.rule, t.busy[key] = saved, false }()
	g, err := t.rules(rules)
	if err != nil {
		return nil, err
	}
	t.done[key] = g
	return g, nil
}

func (t *translator) rules(rules []*ast.Rule) (gval, error) {
	for _, r := range rules {
		switch {
		case len(r.Head.Args) > 0:
			return nil, refuse(r.Head.Value, "a function the plan would have to call with values it does not know")
		case r.Else != nil:
			return nil, refuse(r.Head.Value, "an `else` chain the plan would have to order")
		case !r.Head.Ref().IsGround():
			return nil, refuse(r.Head.Value, "a rule whose head has a variable key")
		}
	}
	if rules[0].Head.RuleKind() == ast.MultiValue {
		return t.partialSet(rules)
	}
	return t.complete(rules)
}

// complete evaluates a single-value rule: its definitions, and the default
// where none applies.
func (t *translator) complete(rules []*ast.Rule) (gval, error) {
	var defs []definition
	var def *ast.Rule
	for _, r := range rules {
		if r.Default {
			def = r
			continue
		}
		e := env{}
		cond, err := t.body(r.Body, e)
		if err != nil || isFalse(cond) {
			if err != nil {
				return nil, err
			}
			continue
		}
		g, err := t.term(r.Head.Value, e)
		if err != nil {
			return nil, t.at(nil, err)
		}
		defs = append(defs, definition{cond: cond, value: g, body: r.Body})
	}
	return t.merge(defs, def)
}

// merge joins the values of several definitions of one document. Two
// definitions that may apply at once must give the same value: otherwise
// OPA fails with a conflict (a deny), which a condition cannot express, so
// unless their conditions are provably exclusive the plan is refused.
func (t *translator) merge(defs []definition, def *ast.Rule) (gval, error) {
	var out gval
	from := []int{}
	for i, d := range defs {
		for _, a := range d.value.guard(d.cond) {
			for j, b := range out {
				if from[j] != i && !equalValues(a.val, b.val) && !exclusive(a.defined(), b.defined()) {
					return nil, t.at(firstExpr(d.body), refuse(nil,
						"two definitions may apply at once with different values (a conflict error in OPA)"))
				}
			}
			out, from = append(out, a), append(from, i)
		}
	}
	if def == nil {
		return out, nil
	}
	dv, err := t.term(def.Head.Value, env{})
	if err != nil {
		return nil, err
	}
	return append(out, dv.guard(not(out.defined()))...), nil
}

func firstExpr(b ast.Body) *ast.Expr {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}

// partialSet evaluates a multi-value rule: a set whose elements each hold
// under their body's condition. A set is always defined, maybe empty.
func (t *translator) partialSet(rules []*ast.Rule) (gval, error) {
	s := &setValue{name: t.rule}
	for _, r := range rules {
		e := env{}
		cond, err := t.body(r.Body, e)
		if err != nil {
			return nil, err
		}
		if isFalse(cond) {
			continue
		}
		g, err := t.term(r.Head.Key, e)
		if err != nil {
			return nil, t.at(nil, err)
		}
		s.elems = append(s.elems, g.guard(cond)...)
	}
	return single(value{kind: vSet, set: s}), nil
}

// original evaluates a rule of the bundle that the residual still names
// (OPA saves references to rules it does not inline, such as objects built
// key by key): by partially evaluating it in turn. An object whose keys are
// all constant is evaluated key by key and known only as an object free of
// conflicts; that is all a decision's obligations need.
func (t *translator) original(ref ast.Ref) (gval, error) {
	if t.depth >= maxNesting {
		return nil, refuse(nil, "rules nested too deep to plan (%v)", ref)
	}
	keys, isObject := t.objectKeys(ref)
	if !isObject {
		return t.nested(ref)
	}
	for _, k := range keys {
		if _, err := t.nested(ref.Append(k)); err != nil {
			return nil, err
		}
	}
	return single(value{kind: vOpaque}), nil
}

// objectKeys returns the constant keys of an object defined by rules with
// ref heads one level below ref; isObject is false for any other document.
func (t *translator) objectKeys(ref ast.Ref) ([]*ast.Term, bool) {
	rules := t.set.compiler.GetRules(ref)
	if len(rules) == 0 {
		return nil, false
	}
	var keys []*ast.Term
	for _, r := range rules {
		full := r.Ref()
		if len(full) != len(ref)+1 || !full.HasPrefix(ref) || !full[len(ref)].IsGround() || len(r.Head.Args) > 0 {
			return nil, false
		}
		keys = appendTerm(keys, full[len(ref)])
	}
	return keys, true
}

func appendTerm(list []*ast.Term, t *ast.Term) []*ast.Term {
	for _, x := range list {
		if x.Equal(t) {
			return list
		}
	}
	return append(list, t)
}

func (t *translator) nested(ref ast.Ref) (gval, error) {
	key := ref.String()
	if slices.Contains(t.chain, key) {
		return nil, refuse(nil, "partial evaluation leaves %s as it is (an `else` chain, or another form it does not evaluate)", strings.TrimPrefix(key, "data."))
	}
	sub := &translator{ctx: t.ctx, set: t.set, input: t.input, depth: t.depth + 1, chain: append(slices.Clip(t.chain), key)}
	g, err := sub.document(ref)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// allows is the condition under which the entrypoint's value v allows, as
// Evaluate reads results: true, or an object with allow true and, when
// present, reasons an array of strings and obligations an object.
func allows(v value) (pdp.Condition, error) {
	switch v.kind {
	case vConst:
		x, err := ast.JSON(v.c)
		if err != nil {
			return condFalse, nil
		}
		return boolCond(interpretValue(x).Allow), nil
	case vField:
		return leaf(pdp.OpEq, v.field, true), nil
	case vObject:
		return objectAllows(v.obj)
	}
	return condFalse, nil // a set, a number, an array: an invalid result
}

func objectAllows(obj map[string]value) (pdp.Condition, error) {
	allow, ok := obj["allow"]
	if !ok {
		return condFalse, nil
	}
	c := condFalse
	switch allow.kind {
	case vConst:
		c = boolCond(ast.Boolean(true).Equal(allow.c))
	case vField:
		c = leaf(pdp.OpEq, allow.field, true)
	}
	if isFalse(c) {
		return c, nil
	}
	reasons, err := validReasons(obj)
	if err != nil {
		return condFalse, err
	}
	return and(c, reasons, validObligations(obj)), nil
}

func validReasons(obj map[string]value) (pdp.Condition, error) {
	r, ok := obj["reasons"]
	if !ok {
		return condTrue, nil
	}
	switch r.kind {
	case vConst:
		x, err := ast.JSON(r.c)
		_, valid := stringList(map[string]any{"reasons": x}, "reasons")
		return boolCond(err == nil && valid), nil
	case vSorted:
		for _, el := range r.set.elems {
			if el.val.kind != vConst {
				return condFalse, refuse(nil, "reasons built from resource fields (%s)", r.set.name)
			}
			if _, isString := el.val.c.(ast.String); !isString {
				return condFalse, refuse(nil, "reasons that may not be strings (%s)", r.set.name)
			}
		}
		return condTrue, nil
	case vArray:
		cs := make([]pdp.Condition, len(r.elems))
		for i, el := range r.elems {
			cs[i] = el.isType(3) // each a string
		}
		return and(cs...), nil
	case vField:
		return condFalse, refuse(nil, "reasons taken from a resource field (%s)", r.field)
	}
	return condFalse, nil
}

func validObligations(obj map[string]value) pdp.Condition {
	o, ok := obj["obligations"]
	if !ok {
		return condTrue
	}
	switch o.kind {
	case vConst:
		_, isObject := o.c.(ast.Object)
		return boolCond(isObject)
	case vObject, vOpaque:
		return condTrue
	case vField:
		return leaf(pdp.OpGe, o.field, map[string]any{})
	}
	return condFalse
}

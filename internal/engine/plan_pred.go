package engine

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/pdp-project/pdp/internal/pdp"
)

// comparisons maps Rego's comparison built-ins to condition operators.
var comparisons = map[string]pdp.Op{
	"equal": pdp.OpEq, "neq": pdp.OpNe, "lt": pdp.OpLt, "lte": pdp.OpLe, "gt": pdp.OpGt, "gte": pdp.OpGe,
}

// predicate translates the built-ins that become condition leaves:
// comparisons, membership and type tests. ok is false for other calls.
func (t *translator) predicate(x *ast.Expr, name string, ops []*ast.Term, e env) (pdp.Condition, bool, error) {
	if op, isCmp := comparisons[name]; isCmp && len(ops) == 2 {
		c, err := t.compareTerms(ops[0], op, ops[1], e)
		return c, true, err
	}
	if name == ast.Member.Name && len(ops) == 2 {
		c, err := t.membership(ops[0], ops[1], e)
		return c, true, err
	}
	if _, isType := typeOrder[name]; isType && len(ops) == 1 {
		g, err := t.term(ops[0], e)
		if err != nil {
			return condFalse, true, err
		}
		return typeTest(name, g), true, nil
	}
	return condFalse, false, nil
}

func (t *translator) compareTerms(a *ast.Term, op pdp.Op, b *ast.Term, e env) (pdp.Condition, error) {
	ga, err := t.term(a, e)
	if err != nil {
		return condFalse, err
	}
	gb, err := t.term(b, e)
	if err != nil {
		return condFalse, err
	}
	return compare(a, op, ga, gb)
}

// compare is the condition under which a op b holds.
func compare(node *ast.Term, op pdp.Op, a, b gval) (pdp.Condition, error) {
	var cs []pdp.Condition
	for _, x := range a {
		for _, y := range b {
			c, err := compareValues(op, x.val, y.val)
			if err != nil {
				return condFalse, refuse(nil, "%v", err)
			}
			cs = append(cs, and(x.cond, y.cond, c))
		}
	}
	return or(cs...), nil
}

var flipped = map[pdp.Op]pdp.Op{pdp.OpEq: pdp.OpEq, pdp.OpNe: pdp.OpNe, pdp.OpLt: pdp.OpGt,
	pdp.OpLe: pdp.OpGe, pdp.OpGt: pdp.OpLt, pdp.OpGe: pdp.OpLe}

func compareValues(op pdp.Op, x, y value) (pdp.Condition, error) {
	switch {
	case x.kind == vConst && y.kind == vConst:
		return boolCond(op.Compares(ast.Compare(x.c, y.c))), nil
	case x.kind == vField && y.kind == vConst:
		return fieldCompare(op, x.field, y.c)
	case x.kind == vConst && y.kind == vField:
		return fieldCompare(flipped[op], y.field, x.c)
	case x.kind == vField && y.kind == vField:
		if x.field != y.field {
			return condFalse, fmt.Errorf("a comparison of two resource fields (%s, %s)", x.field, y.field)
		}
		return sameField(op, x.field), nil
	case x.kind == vCount && y.kind == vConst:
		return countCompare(op, x.set, y.c)
	case x.kind == vConst && y.kind == vCount:
		return countCompare(flipped[op], y.set, x.c)
	}
	return condFalse, fmt.Errorf("a comparison of values the plan does not know (%s with %s)", x.describe(), y.describe())
}

func (v value) describe() string {
	switch v.kind {
	case vConst:
		return v.c.String()
	case vField:
		return v.field
	case vSet:
		return "the set " + v.set.name
	case vCount:
		return "the size of " + v.set.name
	case vSorted:
		return "the sorted set " + v.set.name
	case vArray:
		return "an array"
	}
	return "an object"
}

// fieldCompare is field op literal. A set literal never equals a field
// (input holds no sets) and orders after every other value.
func fieldCompare(op pdp.Op, field string, c ast.Value) (pdp.Condition, error) {
	if _, isSet := c.(ast.Set); isSet {
		return typeOrderCompare(op, field, -1), nil
	}
	lit, err := literal(c)
	if err != nil {
		return condFalse, err
	}
	return leaf(op, field, lit), nil
}

// typeOrderCompare is field op x for an x that orders after (sign -1) or
// before (+1) every value the field can hold: only the field's existence
// decides.
func typeOrderCompare(op pdp.Op, field string, sign int) pdp.Condition {
	if op.Compares(sign) {
		return leaf(pdp.OpExists, field)
	}
	return condFalse
}

func sameField(op pdp.Op, field string) pdp.Condition {
	if op.Compares(0) {
		return leaf(pdp.OpExists, field)
	}
	return condFalse
}

// countCompare is count(set) op n. The set's size is 0 when it is empty and
// between 1 and its number of candidate elements otherwise; the comparison
// must come out the same across the non-empty sizes, or it is refused.
func countCompare(op pdp.Op, s *setValue, n ast.Value) (pdp.Condition, error) {
	onEmpty := op.Compares(ast.Compare(ast.Number("0"), n))
	onSome := op.Compares(ast.Compare(ast.Number("1"), n))
	for k := 2; k <= len(s.elems); k++ {
		if op.Compares(ast.Compare(ast.Number(fmt.Sprint(k)), n)) != onSome {
			return condFalse, fmt.Errorf("count(%s) compared with %v depends on how many elements the set holds", s.name, n)
		}
	}
	some := s.nonEmpty()
	return or(and(not(some), boolCond(onEmpty)), and(some, boolCond(onSome))), nil
}

func (s *setValue) nonEmpty() pdp.Condition {
	cs := make([]pdp.Condition, len(s.elems))
	for i, a := range s.elems {
		cs[i] = a.defined()
	}
	return or(cs...)
}

// membership translates x in coll (internal.member_2).
func (t *translator) membership(x, coll *ast.Term, e env) (pdp.Condition, error) {
	gx, err := t.term(x, e)
	if err != nil {
		return condFalse, err
	}
	gc, err := t.term(coll, e)
	if err != nil {
		return condFalse, err
	}
	if c, ok := fieldIn(gx, gc); ok {
		return c, nil
	}
	var cs []pdp.Condition
	for _, c := range gc {
		members, err := c.val.members()
		if err != nil {
			return condFalse, refuse(coll, "%v", err)
		}
		in, err := compare(x, pdp.OpEq, gx, members)
		if err != nil {
			return condFalse, err
		}
		cs = append(cs, and(c.cond, in))
	}
	return or(cs...), nil
}

// fieldIn writes field in [constants] as one in leaf; ok is false for any
// other membership. Sets among the constants are left out: a field never
// equals a set.
func fieldIn(gx, gc gval) (pdp.Condition, bool) {
	if len(gx) != 1 || gx[0].val.kind != vField || !isTrue(gx[0].cond) || len(gc) != 1 || gc[0].val.kind != vConst {
		return condFalse, false
	}
	list := []any{}
	err := foreachMember(gc[0].val.c, func(m ast.Value) {
		if _, isSet := m.(ast.Set); !isSet {
			if lit, err := literal(m); err == nil {
				list = append(list, lit)
			}
		}
	})
	if err != nil {
		return condFalse, false
	}
	if len(list) == 0 {
		return and(gc[0].cond, condFalse), true
	}
	return and(gc[0].cond, leaf(pdp.OpIn, gx[0].val.field, list)), true
}

// members lists the values a collection holds, each under its condition.
func (v value) members() (gval, error) {
	switch v.kind {
	case vSet:
		return gval(v.set.elems), nil
	case vConst:
		var out gval
		err := foreachMember(v.c, func(m ast.Value) { out = append(out, constVal(m)...) })
		return out, err
	}
	return nil, fmt.Errorf("membership in %s, which the plan does not know", v.describe())
}

func foreachMember(c ast.Value, f func(ast.Value)) error {
	switch coll := c.(type) {
	case *ast.Array:
		coll.Foreach(func(t *ast.Term) { f(t.Value) })
	case ast.Set:
		coll.Foreach(func(t *ast.Term) { f(t.Value) })
	case ast.Object:
		coll.Foreach(func(_, t *ast.Term) { f(t.Value) })
	default:
		return fmt.Errorf("membership in %v, which is not a collection", c)
	}
	return nil
}

// typeOrder ranks the JSON types as Rego orders values: null < boolean <
// number < string < array < object (< set).
var typeOrder = map[string]int{"is_null": 0, "is_boolean": 1, "is_number": 2, "is_string": 3,
	"is_array": 4, "is_object": 5, "is_set": 6}

// typeTest translates is_<type>(g). For a field it uses Rego's order of
// types: is_number(f) is f > true and f < "" (every number sits between the
// booleans and the strings), and so on.
func typeTest(name string, g gval) pdp.Condition {
	rank := typeOrder[name]
	cs := make([]pdp.Condition, len(g))
	for i, a := range g {
		cs[i] = and(a.cond, a.val.isType(rank))
	}
	return or(cs...)
}

func (v value) isType(rank int) pdp.Condition {
	switch v.kind {
	case vConst:
		return boolCond(constRank(v.c) == rank)
	case vSet:
		return boolCond(rank == 6)
	case vCount:
		return boolCond(rank == 2)
	case vSorted, vArray:
		return boolCond(rank == 4)
	case vObject, vOpaque:
		return boolCond(rank == 5)
	}
	f := v.field
	switch rank {
	case 0:
		return leaf(pdp.OpEq, f, nil)
	case 1:
		return and(leaf(pdp.OpGe, f, false), leaf(pdp.OpLe, f, true))
	case 2:
		return and(leaf(pdp.OpGt, f, true), leaf(pdp.OpLt, f, ""))
	case 3:
		return and(leaf(pdp.OpGe, f, ""), leaf(pdp.OpLt, f, []any{}))
	case 4:
		return and(leaf(pdp.OpGe, f, []any{}), leaf(pdp.OpLt, f, map[string]any{}))
	case 5:
		return leaf(pdp.OpGe, f, map[string]any{}) // input holds no sets
	}
	return condFalse
}

func constRank(c ast.Value) int {
	switch c.(type) {
	case ast.Null:
		return 0
	case ast.Boolean:
		return 1
	case ast.Number:
		return 2
	case ast.String:
		return 3
	case *ast.Array:
		return 4
	case ast.Object:
		return 5
	}
	return 6
}

// evalBuiltin evaluates a built-in on ground arguments with OPA itself;
// ok is false when the call is undefined.
func (t *translator) evalBuiltin(name string, args []ast.Value) (ast.Value, bool, error) {
	terms := make([]*ast.Term, 0, len(args)+2)
	terms = append(terms, ast.NewTerm(ast.BuiltinMap[name].Ref()))
	for _, a := range args {
		terms = append(terms, ast.NewTerm(a))
	}
	out := ast.VarTerm("__pdp_plan_out__")
	call := ast.NewExpr(append(terms[:1], append(terms[1:], out)...))
	rs, err := rego.New(rego.ParsedQuery(ast.NewBody(call))).Eval(t.ctx)
	if err != nil || len(rs) == 0 {
		return nil, false, err
	}
	v, err := ast.InterfaceToValue(rs[0].Bindings["__pdp_plan_out__"])
	return v, err == nil, err
}

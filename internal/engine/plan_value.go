package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// The translator evaluates residual Rego symbolically. A term's value is a
// guarded value: alternatives, each a value under a condition; the term is
// undefined where no condition holds, and where two conditions hold at
// once their values are equal (conflicting definitions are refused).

type valKind int

const (
	vConst  valKind = iota // a ground value
	vField                 // a resource field; undefined when the resource lacks it
	vSet                   // a set built by partial-set rules
	vCount                 // the size of such a set
	vSorted                // such a set, sorted into an array
	vObject                // an object with ground keys and symbolic members
	vArray                 // an array with symbolic elements
	vOpaque                // an object known to be an object, and nothing more
)

// value is one symbolic value.
type value struct {
	kind  valKind
	c     ast.Value        // vConst
	field string           // vField: "resource.id", "resource.attributes.NAME"
	set   *setValue        // vSet, vCount, vSorted
	obj   map[string]value // vObject
	elems []value          // vArray
}

// setValue is a set built by partial-set rules: its elements, each under
// the condition that puts it in the set.
type setValue struct {
	name  string
	elems []alt
}

type alt struct {
	cond pdp.Condition
	val  value
}

// gval is a guarded value.
type gval []alt

func constVal(v ast.Value) gval { return gval{{cond: condTrue, val: value{kind: vConst, c: v}}} }

func single(v value) gval { return gval{{cond: condTrue, val: v}} }

// defined is the condition under which g has a value.
func (g gval) defined() pdp.Condition {
	cs := make([]pdp.Condition, len(g))
	for i, a := range g {
		cs[i] = a.defined()
	}
	return or(cs...)
}

// defined is the alternative's condition, with the field's existence.
func (a alt) defined() pdp.Condition {
	if a.val.kind == vField {
		return and(a.cond, leaf(pdp.OpExists, a.val.field))
	}
	return a.cond
}

// truthy is the condition under which g is defined and not false (a term
// used as an expression succeeds).
func (g gval) truthy() pdp.Condition {
	cs := make([]pdp.Condition, len(g))
	for i, a := range g {
		cs[i] = and(a.cond, a.val.truthy())
	}
	return or(cs...)
}

func (v value) truthy() pdp.Condition {
	switch v.kind {
	case vConst:
		return boolCond(!ast.Boolean(false).Equal(v.c))
	case vField:
		return leaf(pdp.OpNe, v.field, false)
	}
	return condTrue
}

func boolCond(b bool) pdp.Condition {
	if b {
		return condTrue
	}
	return condFalse
}

// equalValues reports whether a and b are provably the same value.
func equalValues(a, b value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case vConst:
		return ast.Compare(a.c, b.c) == 0
	case vField:
		return a.field == b.field
	case vSet, vCount, vSorted:
		return a.set == b.set
	case vObject:
		return equalObjects(a.obj, b.obj)
	case vArray:
		return slices.EqualFunc(a.elems, b.elems, equalValues)
	}
	return false
}

func equalObjects(a, b map[string]value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || !equalValues(x, y) {
			return false
		}
	}
	return true
}

// literal converts a ground value to the JSON-like Go value a condition
// carries (numbers as float64, sets as arrays).
func literal(v ast.Value) (any, error) {
	x, err := ast.JSON(v)
	if err != nil {
		return nil, fmt.Errorf("literal %v: %w", v, err)
	}
	return normalize(x), nil
}

// fieldPath maps a ground ref under input.resource to a field path;
// ok is false for any other ref.
func fieldPath(ref ast.Ref) (string, bool, error) {
	if len(ref) < 3 || !ref[0].Equal(ast.InputRootDocument) || !ref[1].Equal(ast.StringTerm("resource")) {
		return "", false, nil
	}
	parts := []string{"resource"}
	for _, t := range ref[2:] {
		s, ok := t.Value.(ast.String)
		if !ok || s == "" || strings.Contains(string(s), ".") {
			return "", true, fmt.Errorf("iteration over, or a dynamic or dotted key into, a resource field (%v)", ref)
		}
		parts = append(parts, string(s))
	}
	path := strings.Join(parts, ".")
	switch {
	case path == "resource.id", strings.HasPrefix(path, "resource.attributes."):
		return path, true, nil
	case path == "resource.attributes", path == "resource":
		return "", true, fmt.Errorf("%v used as a whole", ref)
	}
	return "", true, fmt.Errorf("%v is not a resource field a plan can read", ref)
}

// jsonString renders a value for messages.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

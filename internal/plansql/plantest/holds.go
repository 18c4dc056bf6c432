// Package plantest holds what the resource-plan tests share: the reference
// meaning of a condition tree, generators of resources, policies and
// requests (seeded, so a failure replays), and SQL tables of resources for
// the differential tests that compare a plan's WHERE clause with Check.
package plantest

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Resource is one row: its id and attributes (absent or nil: missing, a
// NULL in its column).
type Resource struct {
	ID    string
	Attrs map[string]any
}

// Holds reports whether c holds for r, by the tree's semantics: a leaf on a
// missing field is false; comparisons follow Rego's (ast.Compare: numbers
// by value, strings byte-wise, values of different types by type order);
// and, or and not are Boolean.
func Holds(c pdp.Condition, r Resource) bool {
	switch c.Op {
	case pdp.OpAnd:
		for _, a := range c.Args {
			if !Holds(a, r) {
				return false
			}
		}
		return true
	case pdp.OpOr:
		for _, a := range c.Args {
			if Holds(a, r) {
				return true
			}
		}
		return false
	case pdp.OpNot:
		return !Holds(c.Args[0], r)
	}
	return holdsLeaf(c, r)
}

func holdsLeaf(c pdp.Condition, r Resource) bool {
	v, ok := r.field(c.Operands[0].Field)
	if !ok {
		return false
	}
	switch c.Op {
	case pdp.OpExists:
		return true
	case pdp.OpIn:
		for _, x := range c.Operands[1].Value.([]any) {
			if compare(v, x) == 0 {
				return true
			}
		}
		return false
	case pdp.OpEq, pdp.OpNe, pdp.OpLt, pdp.OpLe, pdp.OpGt, pdp.OpGe:
		return c.Op.Compares(compare(v, c.Operands[1].Value))
	}
	panic("plantest: unknown operator " + string(c.Op))
}

func compare(a, b any) int {
	return ast.Compare(ast.MustInterfaceToValue(a), ast.MustInterfaceToValue(b))
}

// field looks a field path up.
func (r Resource) field(path string) (any, bool) {
	if path == "resource.id" {
		return r.ID, true
	}
	rest, ok := strings.CutPrefix(path, "resource.attributes.")
	if !ok {
		return nil, false
	}
	var cur any = r.Attrs
	for _, k := range strings.Split(rest, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// Input is base (an input document without resource id and attributes)
// with r as its resource of type typ.
func Input(base map[string]any, typ string, r Resource) map[string]any {
	in := make(map[string]any, len(base)+1)
	for k, v := range base {
		in[k] = v
	}
	attrs := make(map[string]any, len(r.Attrs))
	for k, v := range r.Attrs {
		if v != nil {
			attrs[k] = v
		}
	}
	in["resource"] = map[string]any{"type": typ, "id": r.ID, "attributes": attrs}
	return in
}

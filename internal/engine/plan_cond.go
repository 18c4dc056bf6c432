package engine

import (
	"reflect"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Condition trees under construction. True is an empty and, false an empty
// or; the builders fold constants, flatten nested and/or and drop
// duplicates, so a plan is always-allowed or always-denied exactly when
// its tree folds to one of the two.

var (
	condTrue  = pdp.Condition{Op: pdp.OpAnd}
	condFalse = pdp.Condition{Op: pdp.OpOr}
)

func isTrue(c pdp.Condition) bool  { return c.Op == pdp.OpAnd && len(c.Args) == 0 }
func isFalse(c pdp.Condition) bool { return c.Op == pdp.OpOr && len(c.Args) == 0 }

// and is the conjunction of cs.
func and(cs ...pdp.Condition) pdp.Condition {
	var args []pdp.Condition
	for _, c := range cs {
		switch {
		case isFalse(c):
			return condFalse
		case c.Op == pdp.OpAnd:
			args = appendUnique(args, c.Args...)
		default:
			args = appendUnique(args, c)
		}
	}
	return junction(pdp.OpAnd, args)
}

// or is the disjunction of cs.
func or(cs ...pdp.Condition) pdp.Condition {
	var args []pdp.Condition
	for _, c := range cs {
		switch {
		case isTrue(c):
			return condTrue
		case c.Op == pdp.OpOr:
			args = appendUnique(args, c.Args...)
		default:
			args = appendUnique(args, c)
		}
	}
	return junction(pdp.OpOr, args)
}

// junction closes an and/or: one argument stands alone, an argument next
// to its own negation decides the whole, and in an and, exists(f) goes
// when a comparison of f (false without f) stands beside it.
func junction(op pdp.Op, args []pdp.Condition) pdp.Condition {
	if op == pdp.OpAnd {
		args = dropImpliedExists(args)
	}
	for _, a := range args {
		if a.Op == pdp.OpNot && containsCond(args, a.Args[0]) {
			if op == pdp.OpAnd {
				return condFalse
			}
			return condTrue
		}
	}
	if len(args) == 1 {
		return args[0]
	}
	return pdp.Condition{Op: op, Args: args}
}

func dropImpliedExists(args []pdp.Condition) []pdp.Condition {
	compared := map[string]bool{}
	for _, a := range args {
		if a.Op != pdp.OpExists && len(a.Operands) > 0 && a.Operands[0].IsField() {
			compared[a.Operands[0].Field] = true
		}
	}
	out := args[:0:0]
	for _, a := range args {
		if a.Op != pdp.OpExists || !compared[a.Operands[0].Field] {
			out = append(out, a)
		}
	}
	return out
}

// not negates c.
func not(c pdp.Condition) pdp.Condition {
	switch {
	case isTrue(c):
		return condFalse
	case isFalse(c):
		return condTrue
	case c.Op == pdp.OpNot:
		return c.Args[0]
	}
	return pdp.Condition{Op: pdp.OpNot, Args: []pdp.Condition{c}}
}

// leaf is a comparison of a field with a literal (or exists, without one).
func leaf(op pdp.Op, field string, value ...any) pdp.Condition {
	ops := []pdp.Operand{{Field: field}}
	for _, v := range value {
		ops = append(ops, pdp.Operand{Value: v})
	}
	return pdp.Condition{Op: op, Operands: ops}
}

func appendUnique(list []pdp.Condition, cs ...pdp.Condition) []pdp.Condition {
	for _, c := range cs {
		if !containsCond(list, c) {
			list = append(list, c)
		}
	}
	return list
}

func containsCond(list []pdp.Condition, c pdp.Condition) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, c) {
			return true
		}
	}
	return false
}

// conjuncts lists the members of a conjunction (c itself otherwise).
func conjuncts(c pdp.Condition) []pdp.Condition {
	if c.Op == pdp.OpAnd {
		return c.Args
	}
	return []pdp.Condition{c}
}

// exclusive reports whether a and b provably never hold together: one of
// them is false, or one has a conjunct not(x) while every conjunct of x is
// a conjunct of the other. It proves what the translator needs (a rule's
// definitions guarded by opposite tests); false means "not proven".
func exclusive(a, b pdp.Condition) bool {
	if isFalse(a) || isFalse(b) {
		return true
	}
	return negates(a, b) || negates(b, a)
}

func negates(a, b pdp.Condition) bool {
	cb := conjuncts(b)
	for _, x := range conjuncts(a) {
		if x.Op == pdp.OpNot && subset(conjuncts(x.Args[0]), cb) {
			return true
		}
	}
	return false
}

func subset(xs, ys []pdp.Condition) bool {
	for _, x := range xs {
		if !containsCond(ys, x) {
			return false
		}
	}
	return true
}

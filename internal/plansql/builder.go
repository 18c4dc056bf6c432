package plansql

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// builder writes one condition tree, collecting arguments in order.
type builder struct {
	d       dialect
	columns map[string]string
	args    []any
}

var sqlOps = map[pdp.Op]string{pdp.OpEq: "=", pdp.OpNe: "<>", pdp.OpLt: "<", pdp.OpLe: "<=", pdp.OpGt: ">", pdp.OpGe: ">="}

// flip turns literal-op-field around.
var flip = map[pdp.Op]pdp.Op{pdp.OpEq: pdp.OpEq, pdp.OpNe: pdp.OpNe, pdp.OpLt: pdp.OpGt,
	pdp.OpLe: pdp.OpGe, pdp.OpGt: pdp.OpLt, pdp.OpGe: pdp.OpLe}

func (b *builder) cond(c pdp.Condition) (string, error) {
	switch c.Op {
	case pdp.OpAnd, pdp.OpOr:
		return b.junction(c)
	case pdp.OpNot:
		if len(c.Args) != 1 {
			return "", fmt.Errorf("plansql: not with %d arguments", len(c.Args))
		}
		inner, err := b.cond(c.Args[0])
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil
	case pdp.OpExists:
		if len(c.Operands) != 1 || !c.Operands[0].IsField() {
			return "", fmt.Errorf("plansql: exists wants one field")
		}
		col, err := Column(c.Operands[0].Field, b.columns)
		return "(" + col + " IS NOT NULL)", err
	case pdp.OpIn:
		return b.in(c.Operands)
	}
	if _, ok := sqlOps[c.Op]; ok {
		return b.comparison(c.Op, c.Operands)
	}
	return "", fmt.Errorf("plansql: unknown operator %q", c.Op)
}

func (b *builder) junction(c pdp.Condition) (string, error) {
	if len(c.Args) == 0 {
		return b.d.lit(c.Op == pdp.OpAnd), nil
	}
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		s, err := b.cond(a)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " "+strings.ToUpper(string(c.Op))+" ") + ")", nil
}

// comparison writes field op literal (either order).
func (b *builder) comparison(op pdp.Op, ops []pdp.Operand) (string, error) {
	if len(ops) != 2 || ops[0].IsField() == ops[1].IsField() {
		return "", fmt.Errorf("plansql: %s wants a field and a literal", op)
	}
	field, lit := ops[0], ops[1]
	if !field.IsField() {
		field, lit, op = lit, field, flip[op]
	}
	col, err := Column(field.Field, b.columns)
	if err != nil {
		return "", err
	}
	v, rank, err := normalize(lit.Value)
	if err != nil {
		return "", err
	}
	parts := map[int]string{}
	for _, t := range b.d.types {
		switch {
		case t.rank == rank:
			parts[t.rank] = t.left(col) + " " + sqlOps[op] + " " + t.right(b.arg(v))
		case op.Compares(t.rank - rank):
			parts[t.rank] = ""
		}
	}
	return b.d.combine(col, parts, b.d.types), nil
}

// in writes field in [literals]: equal to one of the list's values of the
// row's type.
func (b *builder) in(ops []pdp.Operand) (string, error) {
	if len(ops) != 2 || !ops[0].IsField() || ops[1].IsField() {
		return "", fmt.Errorf("plansql: in wants a field and a literal list")
	}
	list, ok := ops[1].Value.([]any)
	if !ok {
		return "", fmt.Errorf("plansql: in wants a literal list, not %T", ops[1].Value)
	}
	col, err := Column(ops[0].Field, b.columns)
	if err != nil {
		return "", err
	}
	byRank := map[int][]any{}
	for _, x := range list {
		v, rank, err := normalize(x)
		if err != nil {
			return "", err
		}
		byRank[rank] = append(byRank[rank], v)
	}
	parts := map[int]string{}
	for _, t := range b.d.types {
		if vs := byRank[t.rank]; len(vs) > 0 {
			phs := make([]string, len(vs))
			for i, v := range vs {
				phs[i] = t.right(b.arg(v))
			}
			parts[t.rank] = t.left(col) + " IN (" + strings.Join(phs, ", ") + ")"
		}
	}
	return b.d.combine(col, parts, b.d.types), nil
}

// arg appends an argument and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.placeholder(len(b.args))
}

// normalize returns a literal as an argument (numbers as float64) and the
// rank of its type.
func normalize(v any) (any, int, error) {
	switch x := v.(type) {
	case nil:
		return nil, rankNull, nil
	case bool:
		return x, rankBoolean, nil
	case string:
		return x, rankString, nil
	case float64:
		return x, rankNumber, nil
	case int:
		return float64(x), rankNumber, nil
	case int64:
		return float64(x), rankNumber, nil
	case json.Number:
		f, err := x.Float64()
		return f, rankNumber, err
	case []any:
		return x, rankArray, nil
	case map[string]any:
		return x, rankObject, nil
	}
	return nil, 0, fmt.Errorf("plansql: literal of type %T", v)
}

package engine

import (
	"fmt"
	"math"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// maxInternedInt bounds the integers OPA keeps one shared term for
// (ast.HasInternedIntNumberTerm); attribute numbers such as levels, counts
// and clearances are mostly that small.
const maxInternedInt = 512

// inputValue builds the ast.Value of an input document directly from the Go
// values a request is made of (map[string]any, []any, []string, string,
// float64, bool, nil: what pdp.Request.Input and structpb produce), with no
// JSON round trip. Each object and array takes one allocation for its terms;
// object keys, strings, small integers and booleans come from OPA's interned
// values where it holds them. Any other type goes through
// ast.InterfaceToValue, so the result is always the value InterfaceToValue
// would build.
func inputValue(input map[string]any) (ast.Value, error) {
	return objectValue(input)
}

func toValue(x any) (ast.Value, error) {
	switch v := x.(type) {
	case string:
		return ast.InternedValue(v), nil
	case map[string]any:
		return objectValue(v)
	case []any:
		return arrayValue(v)
	case float64:
		return floatValue(v), nil
	case bool:
		return ast.InternedValue(v), nil
	case nil:
		return ast.NullValue, nil
	case []string:
		return stringsValue(v), nil
	}
	val, err := ast.InterfaceToValue(x)
	if err != nil {
		return nil, fmt.Errorf("convert %T: %w", x, err)
	}
	return val, nil
}

func objectValue(m map[string]any) (ast.Value, error) {
	terms := make([]ast.Term, 2*len(m))
	kvs := make([][2]*ast.Term, 0, len(m))
	for k, x := range m {
		v, err := toValue(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		kt, vt := &terms[2*len(kvs)], &terms[2*len(kvs)+1]
		kt.Value, vt.Value = ast.InternedValue(k), v
		kvs = append(kvs, [2]*ast.Term{kt, vt})
	}
	return ast.NewObject(kvs...), nil
}

func arrayValue(xs []any) (ast.Value, error) {
	terms := make([]ast.Term, len(xs))
	ptrs := make([]*ast.Term, len(xs))
	for i, x := range xs {
		v, err := toValue(x)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		terms[i].Value, ptrs[i] = v, &terms[i]
	}
	return ast.NewArray(ptrs...), nil
}

func stringsValue(ss []string) ast.Value {
	ptrs := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ptrs[i] = ast.InternedTerm(s)
	}
	// InternedTerm allocates a term for a string it does not hold; the
	// arrays of roles are short.
	return ast.NewArray(ptrs...)
}

// floatValue formats f as InterfaceToValue does ('g', shortest), but takes
// the interned term of a small integer instead of formatting it.
func floatValue(f float64) ast.Value {
	if f >= 0 && f < maxInternedInt && f == math.Trunc(f) {
		return ast.InternedValue(int(f))
	}
	return ast.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

package plantest

import (
	"fmt"
	"math/rand"
	"slices"
)

// Kind is a type an attribute column may hold.
type Kind int

// Kinds of attribute values a table stores.
const (
	KindString Kind = iota
	KindNumber
	KindBool
)

// KindOf returns the kind of a stored value.
func KindOf(v any) Kind {
	switch v.(type) {
	case string:
		return KindString
	case bool:
		return KindBool
	}
	return KindNumber
}

// Pools are the values each attribute is drawn from (all kinds mixed).
type Pools map[string][]any

// Names returns the attribute names, sorted.
func (p Pools) Names() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Columns says which kinds each attribute's column can hold: nil means
// strings and numbers (SQLite, which has no booleans); one kind per
// attribute is PostgreSQL's typed columns.
type Columns map[string][]Kind

// Resources draws n resources with ids r0..r(n-1): each attribute missing
// with probability 1/6, else a value of its pool that its column can hold.
func Resources(rng *rand.Rand, n int, pools Pools, cols Columns) []Resource {
	out := make([]Resource, n)
	for i := range out {
		attrs := map[string]any{}
		for _, name := range pools.Names() {
			if v, ok := draw(rng, pools[name], kindsOf(cols, name)); ok && rng.Intn(6) != 0 {
				attrs[name] = v
			}
		}
		out[i] = Resource{ID: fmt.Sprintf("r%d", i), Attrs: attrs}
	}
	return out
}

func kindsOf(cols Columns, name string) []Kind {
	if k, ok := cols[name]; ok {
		return k
	}
	return []Kind{KindString, KindNumber}
}

func draw(rng *rand.Rand, pool []any, kinds []Kind) (any, bool) {
	var fit []any
	for _, v := range pool {
		if slices.Contains(kinds, KindOf(v)) {
			fit = append(fit, v)
		}
	}
	if len(fit) == 0 {
		return nil, false
	}
	return fit[rng.Intn(len(fit))], true
}

// TypedColumns picks one kind per attribute (PostgreSQL), among the kinds
// its pool holds.
func TypedColumns(rng *rand.Rand, pools Pools) Columns {
	cols := Columns{}
	for _, name := range pools.Names() {
		var kinds []Kind
		for _, v := range pools[name] {
			if k := KindOf(v); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		slices.Sort(kinds)
		cols[name] = []Kind{kinds[rng.Intn(len(kinds))]}
	}
	return cols
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.Intn(len(xs))] }

// subset draws up to max distinct members of xs.
func subset[T any](rng *rand.Rand, xs []T, max int) []T {
	perm := rng.Perm(len(xs))
	n := rng.Intn(max + 1)
	out := make([]T, 0, n)
	for _, i := range perm[:min(n, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}

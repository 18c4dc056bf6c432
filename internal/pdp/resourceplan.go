package pdp

import "encoding/json"

// PlanKind says how a resource plan answers "which resources of this type
// may the subject act on".
type PlanKind int

// Plan kinds. PlanUnspecified never leaves the PDP: it is the zero value.
const (
	PlanUnspecified PlanKind = iota
	PlanAlwaysAllowed
	PlanAlwaysDenied
	PlanConditional
)

// String names the kind as records and the command line spell it.
func (k PlanKind) String() string {
	switch k {
	case PlanAlwaysAllowed:
		return "always_allowed"
	case PlanAlwaysDenied:
		return "always_denied"
	case PlanConditional:
		return "conditional"
	default:
		return "unspecified"
	}
}

// Op names the operator of one condition node.
type Op string

// Operators of a condition tree. And, Or and Not combine Args (Not has
// exactly one); the comparisons take two Operands; In takes a field and a
// literal list (the field's value is one of the list's); Exists takes one
// field operand and holds when the resource has that field.
const (
	OpAnd    Op = "and"
	OpOr     Op = "or"
	OpNot    Op = "not"
	OpEq     Op = "eq"
	OpNe     Op = "ne"
	OpLt     Op = "lt"
	OpLe     Op = "le"
	OpGt     Op = "gt"
	OpGe     Op = "ge"
	OpIn     Op = "in"
	OpExists Op = "exists"
)

// Compares reports whether a comparison whose three-way result is cmp
// (negative, zero, positive: less, equal, greater) satisfies the
// comparison operator o; false for an operator that is not one.
func (o Op) Compares(cmp int) bool {
	switch o {
	case OpEq:
		return cmp == 0
	case OpNe:
		return cmp != 0
	case OpLt:
		return cmp < 0
	case OpLe:
		return cmp <= 0
	case OpGt:
		return cmp > 0
	case OpGe:
		return cmp >= 0
	}
	return false
}

// Operand is a field of the resource or a literal. A field path reads
// "resource.id" or "resource.attributes.NAME"; a literal is a JSON value
// (nil, bool, float64, string, []any, map[string]any).
type Operand struct {
	Field string `json:"field,omitempty"`
	Value any    `json:"value,omitempty"`
}

// IsField reports whether the operand names a resource field.
func (o Operand) IsField() bool { return o.Field != "" }

// MarshalJSON writes a field as {"field": F} and a literal as {"value": V},
// keeping the literals null, false, 0 and "" that omitempty would drop.
func (o Operand) MarshalJSON() ([]byte, error) {
	if o.IsField() {
		return json.Marshal(struct {
			Field string `json:"field"`
		}{o.Field})
	}
	return json.Marshal(struct {
		Value any `json:"value"`
	}{o.Value})
}

// Condition is one node of a resource plan's condition tree. Its JSON form
// (the tags below) is what audit records and the HTTP APIs carry.
//
// Its meaning is Rego's, two-valued: a node holds or not, for a resource.
// A comparison or in on a field the resource lacks does not hold (so not
// of it holds, as Rego's not of an undefined expression does); values
// compare as Rego compares them (numbers by value, strings byte by byte,
// values of different types by Rego's order of types: null < boolean <
// number < string < array < object), so eq of different types is false and
// ne true. Type tests come out as ranges of that order: is_number(f) is
// gt(f, true) and lt(f, ""). An and with no Args holds, an or with none
// does not (the engine folds both away before a plan leaves it).
type Condition struct {
	Op       Op          `json:"op"`
	Args     []Condition `json:"args,omitempty"`
	Operands []Operand   `json:"operands,omitempty"`
}

// PlanQuery asks the engine for a resource plan: Input is the input document
// with everything known but resource.id and resource.attributes
// (input.resource holds only the requested type).
type PlanQuery struct {
	// Entrypoint is a data path; empty means the bundle's default.
	Entrypoint string
	Input      map[string]any
	// ResourceType is the requested type, also found at input.resource.type.
	ResourceType string
}

// ResourcePlan is the engine's answer: a resource of the type is allowed if
// and only if Condition holds for it (Kind PlanConditional), always
// (PlanAlwaysAllowed) or never (PlanAlwaysDenied).
type ResourcePlan struct {
	Kind      PlanKind
	Condition *Condition
	// BundleRevision, BundleDigest and Entrypoint say what planned, as in
	// Result.
	BundleRevision string
	BundleDigest   string
	Entrypoint     string
}

// RecordKindPlan marks an audit record that holds a resource plan rather
// than a decision (whose kind is empty).
const RecordKindPlan = "plan"

package pdp

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// MaxAttributeDepth bounds the nesting of attribute objects and arrays.
const MaxAttributeDepth = 32

// Validate reports the first problem with r as an InvalidArgument error that
// names the field. A subject may be identified by its token instead of its id.
func (r Request) Validate() error {
	if err := required("subject.id", r.Subject.ID, r.Subject.Token != ""); err != nil {
		return err
	}
	if err := required("resource.type", r.Resource.Type, false); err != nil {
		return err
	}
	if err := required("action.name", r.Action.Name, false); err != nil {
		return err
	}
	if err := r.validateStrings(); err != nil {
		return err
	}
	return r.validateValues()
}

func required(field, value string, optional bool) error {
	if value == "" && !optional {
		return InvalidField(field, "is required")
	}
	return nil
}

func (r Request) validateStrings() error {
	fields := []struct{ name, value string }{
		{"subject.type", r.Subject.Type}, {"subject.id", r.Subject.ID}, {"subject.token", r.Subject.Token},
		{"resource.type", r.Resource.Type}, {"resource.id", r.Resource.ID},
		{"action.name", r.Action.Name}, {"policy", r.Policy},
	}
	for _, f := range fields {
		if !utf8.ValidString(f.value) {
			return InvalidField(f.name, "is not valid UTF-8")
		}
	}
	for i, role := range r.Subject.Roles {
		if !utf8.ValidString(role) {
			return InvalidField(fmt.Sprintf("subject.roles[%d]", i), "is not valid UTF-8")
		}
	}
	return nil
}

func (r Request) validateValues() error {
	values := []struct {
		name string
		v    map[string]any
	}{
		{"subject.attributes", r.Subject.Attributes}, {"resource.attributes", r.Resource.Attributes},
		{"action.attributes", r.Action.Attributes}, {"environment", r.Environment},
	}
	for _, f := range values {
		if valueOK(f.v, 1) {
			continue
		}
		if err := checkValue(f.name, f.v, 1); err != nil {
			return err
		}
	}
	return nil
}

// valueOK is checkValue without the field names: it builds nothing, so that
// a valid request, the usual one, costs no allocation. checkValue then
// names the problem of a value it refuses.
func valueOK(v any, depth int) bool {
	if depth > MaxAttributeDepth {
		return false
	}
	switch t := v.(type) {
	case string:
		return utf8.ValidString(t)
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	case map[string]any:
		for k, e := range t {
			if !utf8.ValidString(k) || !valueOK(e, depth+1) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !valueOK(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// checkValue walks a JSON-like value, rejecting nesting deeper than
// MaxAttributeDepth, strings or keys that are not valid UTF-8, and numbers
// JSON cannot carry (NaN, infinities).
func checkValue(field string, v any, depth int) error {
	if depth > MaxAttributeDepth {
		return InvalidField(field, fmt.Sprintf("nests deeper than %d levels", MaxAttributeDepth))
	}
	switch t := v.(type) {
	case string:
		if !utf8.ValidString(t) {
			return InvalidField(field, "is not valid UTF-8")
		}
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return InvalidField(field, "is not a finite number")
		}
	case map[string]any:
		return checkObject(field, t, depth)
	case []any:
		for i, e := range t {
			if err := checkValue(fmt.Sprintf("%s[%d]", field, i), e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkObject(field string, m map[string]any, depth int) error {
	for k, e := range m {
		if !utf8.ValidString(k) {
			return InvalidField(field, "has a key that is not valid UTF-8")
		}
		if err := checkValue(field+"."+k, e, depth+1); err != nil {
			return err
		}
	}
	return nil
}

package engine

import (
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/pdp-project/pdp/internal/pdp"
)

// interpret turns the value of an entrypoint into a Result:
// a boolean, or an object with a boolean allow, optional reasons (array of
// strings) and optional obligations (object). Undefined and anything else
// are denies. Obligations hold JSON-like values with numbers as float64,
// like the input.
func interpret(rs rego.ResultSet) pdp.Result {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return pdp.Deny(pdp.ReasonUndefined)
	}
	switch v := rs[0].Expressions[0].Value.(type) {
	case bool:
		return pdp.Result{Allow: v}
	case map[string]any:
		if res, ok := fromObject(v); ok {
			return res
		}
	}
	return pdp.Deny(pdp.ReasonInvalidResult)
}

func fromObject(obj map[string]any) (pdp.Result, bool) {
	allow, ok := obj["allow"].(bool)
	if !ok {
		return pdp.Result{}, false
	}
	reasons, ok := stringList(obj, "reasons")
	if !ok {
		return pdp.Result{}, false
	}
	obligations, ok := object(obj, "obligations")
	if !ok {
		return pdp.Result{}, false
	}
	return pdp.Result{Allow: allow, Reasons: reasons, Obligations: obligations}, true
}

// stringList reads an optional array of strings.
func stringList(obj map[string]any, key string) ([]string, bool) {
	v, present := obj[key]
	if !present {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// object reads an optional object.
func object(obj map[string]any, key string) (map[string]any, bool) {
	v, present := obj[key]
	if !present {
		return nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	return normalize(m).(map[string]any), true
}

// normalize replaces json.Number with float64 throughout a JSON-like value,
// in place, so results carry the same types as input attributes.
func normalize(v any) any {
	switch t := v.(type) {
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
	}
	return v
}

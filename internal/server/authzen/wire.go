package authzen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Body limits: one evaluation as on gRPC; a batch may carry many.
const (
	maxEvaluationBytes = 1 << 20
	maxBatchBytes      = 8 << 20
)

// evaluation is one AuthZEN access evaluation: each object is kept as
// decoded JSON (nil when absent) so that a batch item overrides whole
// objects and unknown fields are tolerated.
type evaluation struct {
	Subject  map[string]any `json:"subject"`
	Resource map[string]any `json:"resource"`
	Action   map[string]any `json:"action"`
	Context  map[string]any `json:"context"`
}

// decode reads a JSON object of at most limit bytes into v. Every failure
// is InvalidArgument: on the Content-Type header, on the field that
// strictjson refuses, else on field "request".
func decode(r *http.Request, limit int64, v any) error {
	if err := checkContentType(r.Header); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		return badBody(err, limit)
	}
	if err := checkStrict(body); err != nil { // fields.go
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badBody(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pdp.InvalidField("request", "holds more than one JSON value")
	}
	return nil
}

// checkContentType requires one Content-Type header naming
// application/json (parameters such as charset allowed), as AuthZEN 1.0
// does. A form or text/plain body, which a browser sends across sites
// without asking, is never decided.
func checkContentType(h http.Header) error {
	values := h.Values("Content-Type")
	if len(values) != 1 {
		return pdp.InvalidField("Content-Type", fmt.Sprintf("is sent %d times; send it once, as application/json", len(values)))
	}
	if mt, _, err := mime.ParseMediaType(values[0]); err != nil || mt != "application/json" {
		return pdp.InvalidField("Content-Type", fmt.Sprintf("is %q; an AuthZEN request is application/json", values[0]))
	}
	return nil
}

func badBody(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return pdp.InvalidField("request", fmt.Sprintf("is larger than %d bytes", limit))
	case errors.Is(err, io.EOF):
		return pdp.InvalidField("request", "body is empty; a JSON object is required")
	case errors.As(err, &typeErr):
		return pdp.InvalidField(wireField(typeErr.Field), "must be a JSON "+jsonKind(typeErr.Type.Kind().String()))
	default:
		return pdp.InvalidField("request", "is not valid JSON: "+err.Error())
	}
}

// wireField is the JSON path of a decoding error as the caller sent it:
// encoding/json prefixes the fields of an embedded struct with the struct's
// Go name (a search's "evaluation.context"), which no caller sends.
func wireField(field string) string {
	if field = strings.TrimPrefix(field, "evaluation."); field == "" {
		return "request"
	}
	return field
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	default:
		return goKind
	}
}

// toRequest maps a complete evaluation to the domain request. It checks
// what AuthZEN requires (subject type and id, resource type and id, action
// name); the decision service validates the rest.
func toRequest(e evaluation, caller string) (pdp.Request, error) {
	req := pdp.Request{Environment: e.Context, Caller: caller}
	var err error
	if req.Subject, err = toSubject(e.Subject); err != nil {
		return req, err
	}
	if req.Resource, err = toResource(e.Resource, true); err != nil {
		return req, err
	}
	req.Action, err = toAction(e.Action)
	return req, err
}

func toSubject(m map[string]any) (pdp.Subject, error) {
	typ, id, err := typeAndID("subject", m, true)
	if err != nil {
		return pdp.Subject{}, err
	}
	attrs := attributes(m, "type", "id")
	s := pdp.Subject{Type: typ, ID: id, Attributes: attrs}
	if roles, ok := stringList(attrs["roles"]); ok {
		s.Roles = roles
		delete(attrs, "roles")
	}
	return s, nil
}

func toResource(m map[string]any, needID bool) (pdp.Resource, error) {
	typ, id, err := typeAndID("resource", m, needID)
	if err != nil {
		return pdp.Resource{}, err
	}
	return pdp.Resource{Type: typ, ID: id, Attributes: attributes(m, "type", "id")}, nil
}

func toAction(m map[string]any) (pdp.Action, error) {
	if m == nil {
		return pdp.Action{}, pdp.InvalidField("action", "is required")
	}
	if err := checkProperties("action", m); err != nil {
		return pdp.Action{}, err
	}
	name, err := requiredString(m, "action", "name")
	if err != nil {
		return pdp.Action{}, err
	}
	return pdp.Action{Name: name, Attributes: attributes(m, "name")}, nil
}

func typeAndID(field string, m map[string]any, needID bool) (string, string, error) {
	if m == nil {
		return "", "", pdp.InvalidField(field, "is required")
	}
	if err := checkProperties(field, m); err != nil {
		return "", "", err
	}
	typ, err := requiredString(m, field, "type")
	if err != nil || !needID {
		return typ, "", err
	}
	id, err := requiredString(m, field, "id")
	return typ, id, err
}

func requiredString(m map[string]any, field, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", pdp.InvalidField(field+"."+key, "is required")
	}
	s, ok := v.(string)
	if !ok {
		return "", pdp.InvalidField(field+"."+key, "must be a string")
	}
	if s == "" {
		return "", pdp.InvalidField(field+"."+key, "must not be empty")
	}
	return s, nil
}

// attributes are the entity's properties. Other members of the entity
// besides the named keys and "properties" (the pre-1.0 drafts put e.g.
// ownerID there) are attributes too, unless a property of the same name
// exists.
func attributes(m map[string]any, named ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "properties" && !slices.Contains(named, k) {
			out[k] = v
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, v := range props {
			out[k] = v
		}
	}
	return out
}

func checkProperties(field string, m map[string]any) error {
	if v, ok := m["properties"]; ok && v != nil {
		if _, ok := v.(map[string]any); !ok {
			return pdp.InvalidField(field+".properties", "must be a JSON object")
		}
	}
	return nil
}

func stringList(v any) ([]string, bool) {
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

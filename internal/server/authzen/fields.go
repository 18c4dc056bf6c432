package authzen

import (
	"errors"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/strictjson"
)

// Field names in errors are the caller's: AuthZEN's, not the domain's that
// the request was mapped to (subject.properties, not subject.attributes;
// context, not environment).
var authzenNames = []struct{ domain, authzen string }{
	{"subject.attributes", "subject.properties"},
	{"subject.roles", "subject.properties.roles"},
	{"resource.attributes", "resource.properties"},
	{"action.attributes", "action.properties"},
	{"environment", "context"},
}

// callerFields renames the field of an InvalidArgument error to the name
// the caller sent.
func callerFields(err error) error {
	var e *pdp.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	for _, n := range authzenNames {
		if rest, ok := strings.CutPrefix(e.Field, n.domain); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			c := *e
			c.Field = n.authzen + rest
			return &c
		}
	}
	return err
}

// checkStrict refuses what JSON parsers disagree on (a duplicate key, a
// string that is not valid UTF-8, a number beyond a 64-bit float), naming
// the field as the caller sent it: a gateway that reads the same body
// otherwise than encoding/json (the first of two keys, say) would enforce a
// decision made for another request.
func checkStrict(body []byte) error {
	err := strictjson.Check(body)
	var e *strictjson.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Path == "" {
		return pdp.InvalidField("request", e.Msg)
	}
	return pdp.InvalidField(e.Path, e.Msg)
}

package authzen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pdp-project/pdp/internal/pdp"
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

// checkUTF8 refuses a body that is not valid UTF-8, naming the field that
// holds the first bad byte (encoding/json would silently replace it, and
// the decision would be made for a different value).
func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	return invalidUTF8Field(body, firstInvalid(body))
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonFrame is one open object or array while walking a body's tokens.
type jsonFrame struct {
	array   bool
	index   int
	key     string
	wantKey bool
}

// invalidUTF8Field walks the tokens of body to the one that holds byte bad.
func invalidUTF8Field(body []byte, bad int) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var frames []jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return pdp.InvalidField("request", "is not valid UTF-8")
		}
		top := len(frames) - 1
		isKey := top >= 0 && !frames[top].array && frames[top].wantKey
		if int64(bad) >= start && int64(bad) < dec.InputOffset() {
			if isKey {
				return pdp.InvalidField(jsonPath(frames[:top]), "has a key that is not valid UTF-8")
			}
			return pdp.InvalidField(jsonPath(frames), "is not valid UTF-8")
		}
		frames = step(frames, tok, isKey)
	}
}

// step updates the open frames after tok.
func step(frames []jsonFrame, tok json.Token, isKey bool) []jsonFrame {
	top := len(frames) - 1
	switch tok {
	case json.Delim('{'):
		return append(frames, jsonFrame{wantKey: true})
	case json.Delim('['):
		return append(frames, jsonFrame{array: true})
	case json.Delim('}'), json.Delim(']'):
		frames = frames[:top]
	default:
		if isKey {
			frames[top].key, frames[top].wantKey = tok.(string), false
			return frames
		}
	}
	if top = len(frames) - 1; top >= 0 { // a value ended
		frames[top].index++
		frames[top].wantKey = !frames[top].array
	}
	return frames
}

func jsonPath(frames []jsonFrame) string {
	var b strings.Builder
	for _, f := range frames {
		switch {
		case f.array:
			fmt.Fprintf(&b, "[%d]", f.index)
		case b.Len() > 0:
			b.WriteString("." + f.key)
		default:
			b.WriteString(f.key)
		}
	}
	if b.Len() == 0 {
		return "request"
	}
	return b.String()
}

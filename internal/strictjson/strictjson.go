// Package strictjson refuses the JSON that parsers disagree on, before a
// lenient decoder reads it: a key that appears twice in one object (Go's
// decoder keeps the last, others the first), a string that is not valid
// UTF-8 (Go's decoder replaces the bad bytes), and a number beyond the range
// of a 64-bit float (1e999). So the PDP decides on the request that a
// gateway or an auditor reading the same bytes sees. Standard library only,
// so that the server and the command line share it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a refused member of a document, named by its path as sent:
// keys joined by dots, array items by index (subject.properties.x,
// evaluations[2].subject.id); "" is the document itself.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Check returns an *Error for the first duplicate key, string that is not
// valid UTF-8 or number beyond a 64-bit float in data, nil when there is
// none. It leaves syntax errors, and nesting beyond what decoders accept,
// to the decoder that reads data next (so their messages stay the
// decoder's): it stops at the first one.
func Check(data []byte) error {
	bad := firstInvalid(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil || len(w.frames) > maxDepth {
			return nil // the end, or what the next decoder refuses
		}
		if err := w.visit(tok, bad >= start && bad < dec.InputOffset()); err != nil {
			return err
		}
	}
}

// firstInvalid is the offset of the first byte of b that is not valid
// UTF-8, or -1.
func firstInvalid(b []byte) int64 {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return int64(i)
		}
		i += n
	}
	return -1
}

// frame is one open object or array.
type frame struct {
	array   bool
	index   int
	key     string
	wantKey bool
	seen    map[string]bool
}

type walker struct{ frames []frame }

// maxDepth is where the walk stops: encoding/json and protojson refuse
// documents nested deeper, and the walk's memory stays bounded.
const maxDepth = 10000

// visit checks tok, whose bytes hold the first invalid byte when invalid,
// and moves the walk past it.
func (w *walker) visit(tok json.Token, invalid bool) error {
	top := len(w.frames) - 1
	_, isString := tok.(string)
	isKey := isString && top >= 0 && !w.frames[top].array && w.frames[top].wantKey
	if err := w.check(tok, isKey, invalid); err != nil {
		return err
	}
	w.step(tok, isKey)
	return nil
}

func (w *walker) check(tok json.Token, isKey, invalid bool) error {
	switch {
	case invalid && isKey:
		return &Error{Path: w.path(len(w.frames) - 1), Msg: "has a key that is not valid UTF-8"}
	case invalid:
		return &Error{Path: w.path(len(w.frames)), Msg: "is not valid UTF-8"}
	case isKey:
		top := &w.frames[len(w.frames)-1]
		if key := tok.(string); top.seen[key] {
			top.key = key
			return &Error{Path: w.path(len(w.frames)), Msg: "appears more than once in its object"}
		}
	}
	if n, ok := tok.(json.Number); ok {
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return &Error{Path: w.path(len(w.frames)), Msg: fmt.Sprintf("%s is beyond the range of a 64-bit float", n)}
		}
	}
	return nil
}

// step updates the open frames after tok.
func (w *walker) step(tok json.Token, isKey bool) {
	switch tok {
	case json.Delim('{'):
		w.frames = append(w.frames, frame{wantKey: true, seen: map[string]bool{}})
		return
	case json.Delim('['):
		w.frames = append(w.frames, frame{array: true})
		return
	case json.Delim('}'), json.Delim(']'):
		w.frames = w.frames[:len(w.frames)-1]
	default:
		if isKey {
			top := &w.frames[len(w.frames)-1]
			top.key, top.wantKey, top.seen[tok.(string)] = tok.(string), false, true
			return
		}
	}
	if top := len(w.frames) - 1; top >= 0 { // a value ended
		w.frames[top].index++
		w.frames[top].wantKey = !w.frames[top].array
	}
}

// path names the member at depth n: the keys and indexes of the first n
// frames.
func (w *walker) path(n int) string {
	var b strings.Builder
	for _, f := range w.frames[:n] {
		switch {
		case f.array:
			fmt.Fprintf(&b, "[%d]", f.index)
		case b.Len() > 0:
			b.WriteString("." + f.key)
		default:
			b.WriteString(f.key)
		}
	}
	return b.String()
}

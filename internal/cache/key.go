package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/pdp-project/pdp/internal/pdp"
)

// keyVersion changes whenever the encoding below changes, so that entries a
// different build wrote into a shared Redis are never read.
const keyVersion = "pdp-decision-v2"

// Key derives the cache key of input under plan: a SHA-256 (hex) over the
// revision, the digest of the bundle content, the entrypoint and a canonical
// encoding of input projected on plan.InputPaths (the whole input when the
// plan cannot bound what is read). Two inputs get the same key only if they
// agree on every path the entrypoint can read, under the same bundle
// content.
func Key(plan pdp.Plan, input map[string]any) (string, error) {
	e := encoder{buf: make([]byte, 0, 256)}
	e.str(keyVersion)
	e.str(plan.Revision)
	e.str(plan.Digest)
	e.str(plan.Entrypoint)
	if err := e.projection(plan, input); err != nil {
		return "", err
	}
	sum := sha256.Sum256(e.buf)
	return hex.EncodeToString(sum[:]), nil
}

type encoder struct{ buf []byte }

// projection writes, for each path in order, the value found there or an
// absence marker; it falls back to the whole input when a path crosses a
// value of a type it does not know.
func (e *encoder) projection(plan pdp.Plan, input map[string]any) error {
	if !plan.WholeInput {
		mark := len(e.buf)
		if ok, err := e.paths(plan.InputPaths, input); ok || err != nil {
			return err
		}
		e.buf = e.buf[:mark]
	}
	e.buf = append(e.buf, 'W')
	return e.value(input)
}

func (e *encoder) paths(paths [][]string, input map[string]any) (bool, error) {
	for _, p := range paths {
		v, found, known := lookup(input, p)
		if !known {
			return false, nil
		}
		if !found {
			e.buf = append(e.buf, 'x')
			continue
		}
		e.buf = append(e.buf, 'v')
		if err := e.value(v); err != nil {
			return false, err
		}
	}
	return true, nil
}

// lookup follows path through nested objects. A path that meets a scalar or
// an array is absent (Rego's ref is undefined there); known is false when it
// meets a type the encoder cannot reason about.
func lookup(v any, path []string) (value any, found, known bool) {
	for _, k := range path {
		switch t := v.(type) {
		case map[string]any:
			if v, found = t[k]; !found {
				return nil, false, true
			}
		case nil, bool, string, float64, []any:
			return nil, false, true
		default:
			return nil, false, false
		}
	}
	return v, true, true
}

// value writes a type-tagged, length-prefixed encoding of a JSON-like value
// with object keys in sorted order.
func (e *encoder) value(v any) error {
	switch t := v.(type) {
	case nil:
		e.buf = append(e.buf, 'n')
	case bool:
		e.buf = append(e.buf, boolTag(t))
	case string:
		e.buf = append(e.buf, 's')
		e.str(t)
	case float64:
		e.float(t)
	case map[string]any:
		return e.object(t)
	case []any:
		return e.array(t)
	default:
		return e.other(v)
	}
	return nil
}

func boolTag(b bool) byte {
	if b {
		return 't'
	}
	return 'f'
}

func (e *encoder) float(f float64) {
	if f == 0 {
		f = 0 // -0 and 0 are one number to Rego
	}
	e.buf = append(e.buf, 'd')
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
}

func (e *encoder) object(m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, 'm')
	e.buf = binary.AppendUvarint(e.buf, uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		if err := e.value(m[k]); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) array(a []any) error {
	e.buf = append(e.buf, 'a')
	e.buf = binary.AppendUvarint(e.buf, uint64(len(a)))
	for _, v := range a {
		if err := e.value(v); err != nil {
			return err
		}
	}
	return nil
}

// other encodes any other type through encoding/json (which sorts map
// keys), tagged apart from the native types: it may split equal values into
// two keys, never join different ones.
func (e *encoder) other(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T for a cache key: %w", v, err)
	}
	e.buf = append(e.buf, 'j')
	e.str(fmt.Sprintf("%T", v))
	e.str(string(b))
	return nil
}

func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

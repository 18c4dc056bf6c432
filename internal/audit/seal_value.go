package audit

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxSealDepth is the nesting the direct encoder handles itself; deeper
// values (or cyclic ones) take the encoding/json path, whose own limits
// then apply.
const maxSealDepth = 512

// member is one member of an object being written.
type member struct {
	key string
	val any
}

// value writes v as JCS(round trip of v through encoding/json) would be
// written, and reports false, leaving buf to be discarded, where it cannot
// be sure to match that.
func (s *sealer) value(v any, depth int) bool {
	switch x := v.(type) {
	case nil:
		s.buf = append(s.buf, "null"...)
	case string:
		s.buf = appendString(s.buf, x) // U+FFFD for invalid bytes, as encoding/json does
	case bool:
		s.buf = strconv.AppendBool(s.buf, x)
	case float64:
		return s.number(x)
	case map[string]any:
		return s.object(x, depth+1)
	case []any:
		return s.array(x, depth+1)
	case []string:
		s.stringArray(x)
	case json.Number:
		return s.jsonNumber(x)
	default:
		f, ok := intValue(v)
		return ok && s.number(f)
	}
	return true
}

// number writes f; encoding/json refuses NaN and infinities.
func (s *sealer) number(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	s.buf, _ = appendNumber(s.buf, f)
	return true
}

// intValue converts a Go integer to the double that encoding/json decodes
// from its decimal text: both round to nearest, ties to even.
func intValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uintptr:
		return float64(x), true
	}
	return 0, false
}

// jsonNumber writes n as encoding/json passes it through: "" as 0, the
// text parsed as a double. Text that is not a JSON number, or out of
// range, is an error there and is left to that path.
func (s *sealer) jsonNumber(n json.Number) bool {
	if n == "" {
		s.buf = append(s.buf, '0')
		return true
	}
	if !isJSONNumber(string(n)) {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && s.number(f)
}

// isJSONNumber reports whether t is a number literal of RFC 8259 (what
// encoding/json accepts in a json.Number).
func isJSONNumber(t string) bool {
	if len(t) > 0 && t[0] == '-' {
		t = t[1:]
	}
	switch {
	case t == "":
		return false
	case t[0] == '0':
		t = t[1:]
	case '1' <= t[0] && t[0] <= '9':
		t = skipDigits(t[1:])
	default:
		return false
	}
	if len(t) >= 2 && t[0] == '.' && isDigit(t[1]) {
		t = skipDigits(t[2:])
	}
	if len(t) >= 2 && (t[0] == 'e' || t[0] == 'E') {
		t = t[1:]
		if t[0] == '+' || t[0] == '-' {
			t = t[1:]
		}
		if t == "" || !isDigit(t[0]) {
			return false
		}
		t = skipDigits(t)
	}
	return t == ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(t string) string {
	for len(t) > 0 && isDigit(t[0]) {
		t = t[1:]
	}
	return t
}

// object writes m with its members sorted by UTF-16 code units. A key with
// invalid UTF-8 is left to encoding/json: it rewrites such keys, which can
// make two keys one.
func (s *sealer) object(m map[string]any, depth int) bool {
	if m == nil {
		s.buf = append(s.buf, "null"...)
		return true
	}
	if depth > maxSealDepth {
		return false
	}
	start := len(s.members)
	defer func() { s.members = s.members[:start] }()
	for k, v := range m {
		if !utf8.ValidString(k) {
			return false
		}
		s.members = append(s.members, member{k, v})
	}
	slices.SortFunc(s.members[start:], func(a, b member) int { return compareUTF16(a.key, b.key) })
	return s.writeMembers(start, depth)
}

// writeMembers writes the sorted members from start on. Nested objects push
// theirs above them, and may move the slice: members are read by index.
func (s *sealer) writeMembers(start, depth int) bool {
	s.buf = append(s.buf, '{')
	for i, end := start, len(s.members); i < end; i++ {
		if i > start {
			s.buf = append(s.buf, ',')
		}
		m := s.members[i]
		s.buf = append(appendString(s.buf, m.key), ':')
		if !s.value(m.val, depth) {
			return false
		}
	}
	s.buf = append(s.buf, '}')
	return true
}

func (s *sealer) array(a []any, depth int) bool {
	if a == nil {
		s.buf = append(s.buf, "null"...)
		return true
	}
	if depth > maxSealDepth {
		return false
	}
	s.buf = append(s.buf, '[')
	for i, v := range a {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		if !s.value(v, depth) {
			return false
		}
	}
	s.buf = append(s.buf, ']')
	return true
}

func (s *sealer) stringArray(a []string) {
	if a == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	s.buf = append(s.buf, '[')
	for i, v := range a {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = appendString(s.buf, v)
	}
	s.buf = append(s.buf, ']')
}

package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Canonical returns the RFC 8785 (JSON Canonicalization Scheme) encoding of
// v: object members sorted by the UTF-16 code units of their names, no
// whitespace, strings escaped minimally, numbers written as ECMAScript's
// Number.prototype.toString writes doubles. v holds what encoding/json
// decodes into an any (nil, bool, float64, json.Number, string, []any,
// map[string]any), plus []string and Go integers.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeString(buf, x)
	case map[string]any:
		return writeObject(buf, x)
	case []any:
		return writeArray(buf, len(x), func(i int) any { return x[i] })
	case []string:
		return writeArray(buf, len(x), func(i int) any { return x[i] })
	default:
		return writeNumber(buf, v)
	}
	return nil
}

func writeNumber(buf *bytes.Buffer, v any) error {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return fmt.Errorf("jcs: number %q: %w", x, err)
		}
	default:
		return fmt.Errorf("jcs: unsupported type %T", v)
	}
	s, err := NumberString(f)
	buf.WriteString(s)
	return err
}

func writeArray(buf *bytes.Buffer, n int, at func(int) any) error {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeCanonical(buf, at(i)); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func writeObject(buf *bytes.Buffer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareUTF16)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, k)
		buf.WriteByte(':')
		if err := writeCanonical(buf, m[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return nil
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785
// section 3.2.3 requires.
func compareUTF16(a, b string) int {
	if !beyondE000(a) && !beyondE000(b) {
		return strings.Compare(a, b) // UTF-8 byte order is code point order, here UTF-16 order too
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// beyondE000 reports whether s holds a code point of U+E000 or above (UTF-8
// lead byte 0xEE or higher), the only ones whose UTF-16 order differs from
// their code point order.
func beyondE000(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xEE {
			return true
		}
	}
	return false
}

// writeString escapes only what RFC 8785 (ECMAScript JSON.stringify)
// escapes: the quote, the backslash and control characters.
func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(buf, `\u%04x`, r)
			} else {
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}

// NumberString formats f as ECMAScript's Number.prototype.toString does
// (RFC 8785 section 3.2.2.3): shortest round-trip digits, plain notation
// for 1e-7 <= |f| < 1e21, exponent notation otherwise.
func NumberString(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("jcs: %v is not a JSON number", f)
	}
	if f == 0 {
		return "0", nil
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	digits := strings.Replace(mant, ".", "", 1)
	e, _ := strconv.Atoi(exp)
	return sign + esLayout(digits, e+1), nil
}

// esLayout places the decimal point of digits (d1 d2 ... dk, value
// 0.d1...dk * 10^n) following ECMAScript's Number::toString.
func esLayout(digits string, n int) string {
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	out := digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	if n-1 >= 0 {
		return out + "e+" + strconv.Itoa(n-1)
	}
	return out + "e-" + strconv.Itoa(1-n)
}

package audit

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonical returns the RFC 8785 (JSON Canonicalization Scheme) encoding of
// v: object members sorted by the UTF-16 code units of their names, no
// whitespace, strings escaped minimally, numbers written as ECMAScript's
// Number.prototype.toString writes doubles. v holds what encoding/json
// decodes into an any (nil, bool, float64, json.Number, string, []any,
// map[string]any), plus []string and Go integers.
func Canonical(v any) ([]byte, error) {
	return appendCanonical(nil, v)
}

func appendCanonical(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendString(dst, x), nil
	case map[string]any:
		return appendObject(dst, x)
	case []any:
		return appendArray(dst, len(x), func(i int) any { return x[i] })
	case []string:
		return appendArray(dst, len(x), func(i int) any { return x[i] })
	}
	f, err := canonicalNumber(v)
	if err != nil {
		return nil, err
	}
	return appendNumber(dst, f)
}

func canonicalNumber(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("jcs: number %q: %w", x, err)
		}
		return f, nil
	}
	return 0, fmt.Errorf("jcs: unsupported type %T", v)
}

func appendArray(dst []byte, n int, at func(int) any) ([]byte, error) {
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendCanonical(dst, at(i)); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

func appendObject(dst []byte, m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareUTF16)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		var err error
		if dst, err = appendCanonical(dst, m[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return append(dst, '}'), nil
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

// appendString escapes only what RFC 8785 (ECMAScript JSON.stringify)
// escapes: the quote, the backslash and control characters. Each byte of
// invalid UTF-8 becomes U+FFFD, as encoding/json writes it. Runs that need
// no escaping are copied whole.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(append(dst, s[start:i]...), "\uFFFD"...)
		} else if c < 0x20 || c == '"' || c == '\\' {
			dst = appendEscape(append(dst, s[start:i]...), c)
		} else {
			i++
			continue
		}
		i++
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// appendEscape writes the escape of an ASCII control character, quote or
// backslash: the short form where JSON has one, else \u00xx in lower case.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}

// NumberString formats f as ECMAScript's Number.prototype.toString does
// (RFC 8785 section 3.2.2.3): shortest round-trip digits, plain notation
// for 1e-7 <= |f| < 1e21, exponent notation otherwise.
func NumberString(f float64) (string, error) {
	b, err := appendNumber(nil, f)
	return string(b), err
}

// appendNumber appends NumberString(f) to dst.
func appendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("jcs: %v is not a JSON number", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		// below 2^53 an integral double's shortest digits are the integer's
		// own, so plain notation needs no digit work (and -0 prints as 0)
		return strconv.AppendInt(dst, int64(f), 10), nil
	}
	if f < 0 {
		dst, f = append(dst, '-'), -f
	}
	var scratch, digits [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64) // d[.ddd]e±xx
	i := slices.Index(e, 'e')
	d := append(append(digits[:0], e[0]), e[min(2, i):i]...)
	return appendLayout(dst, d, exponent(e[i+1:])+1), nil
}

// exponent parses the ±dd exponent that strconv's 'e' format writes.
func exponent(b []byte) int {
	n := 0
	for _, c := range b[1:] {
		n = n*10 + int(c-'0')
	}
	if b[0] == '-' {
		return -n
	}
	return n
}

// appendLayout places the decimal point of digits (d1 d2 ... dk, value
// 0.d1...dk * 10^n) following ECMAScript's Number::toString.
func appendLayout(dst, digits []byte, n int) []byte {
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		return appendZeros(append(dst, digits...), n-k)
	case 0 < n && n <= 21:
		return append(append(append(dst, digits[:n]...), '.'), digits[n:]...)
	case -6 < n && n <= 0:
		return append(appendZeros(append(dst, "0."...), -n), digits...)
	}
	dst = append(dst, digits[0])
	if k > 1 {
		dst = append(append(dst, '.'), digits[1:]...)
	}
	if n-1 >= 0 {
		return strconv.AppendInt(append(dst, "e+"...), int64(n-1), 10)
	}
	return strconv.AppendInt(append(dst, "e-"...), int64(1-n), 10)
}

func appendZeros(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, '0')
	}
	return dst
}

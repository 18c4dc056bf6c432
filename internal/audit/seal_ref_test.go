package audit

// The sealing algorithm as it stood before the direct encoder: Document
// (with its encoding/json round trip) and Canonical over a map. Canonical's
// writers were rewritten alongside Seal, so they are kept here, verbatim
// apart from names, as the oracle the fast Seal is compared to; Document was
// not, and TestSealGolden pins the hash of a fixed record so that it cannot
// move either.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/pdp-project/pdp/internal/pdp"
)

// refSeal is the hash by the reference encoder below, independent of the
// Canonical the server uses.
func refSeal(prev string, seq int64, r pdp.Record) (string, error) {
	return sealWith(refCanonical, prev, seq, r)
}

func refCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := refWriteCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func refWriteCanonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		refWriteString(buf, x)
	case map[string]any:
		return refWriteObject(buf, x)
	case []any:
		return refWriteArray(buf, len(x), func(i int) any { return x[i] })
	case []string:
		return refWriteArray(buf, len(x), func(i int) any { return x[i] })
	default:
		return refWriteNumber(buf, v)
	}
	return nil
}

func refWriteNumber(buf *bytes.Buffer, v any) error {
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
	s, err := refNumberString(f)
	buf.WriteString(s)
	return err
}

func refWriteArray(buf *bytes.Buffer, n int, at func(int) any) error {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := refWriteCanonical(buf, at(i)); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func refWriteObject(buf *bytes.Buffer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, refCompareUTF16)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		refWriteString(buf, k)
		buf.WriteByte(':')
		if err := refWriteCanonical(buf, m[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return nil
}

func refCompareUTF16(a, b string) int {
	if !refBeyondE000(a) && !refBeyondE000(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func refBeyondE000(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xEE {
			return true
		}
	}
	return false
}

func refWriteString(buf *bytes.Buffer, s string) {
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

func refNumberString(f float64) (string, error) {
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
	return sign + refESLayout(digits, e+1), nil
}

func refESLayout(digits string, n int) string {
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

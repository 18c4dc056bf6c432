package sqlite

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestAppendJSONMatchesEncodingJSON: the fast path writes exactly what
// jsonText wrote with encoding/json, so stored columns (and what is read
// back and hashed) do not change.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"nil map", map[string]any(nil)},
		{"nil slice", []any(nil)},
		{"nil strings", []string(nil)},
		{"empty", map[string]any{}},
		{"reasons", []string{"role:editor grants document:write", "b"}},
		{"input", map[string]any{"subject": map[string]any{"id": "alice", "roles": []any{"editor"},
			"attributes": map[string]any{"clearance": 2.0, "tags": []any{true, false, nil}}}, "b": "x", "a": 1.0}},
		{"numbers", []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 1e20, 1e21, 123456789.125, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -2.5e-10}},
		{"escapes", []any{`"quote" \back\`, "\b\f\n\r\t", "\x00\x01\x1f\x7f", "<html>&amp;", "\u2028\u2029", "é ü 日本 🎉"}},
		{"invalid utf8", []any{"a\xffb", "\xc3", "ok\xed\xa0\x80"}},
		{"keys", map[string]any{"é": 1.0, "\n": 2.0, "Z": 3.0, "a": 4.0, "": 5.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := appendJSON(nil, tc.v)
			if !ok {
				t.Fatal("appendJSON refused a supported value")
			}
			if want := stdJSON(t, tc.v); !bytes.Equal(got, want) {
				t.Errorf("appendJSON = %s\nwant         %s", got, want)
			}
		})
	}
}

// TestAppendJSONFallsBack: other types and non-finite numbers are left to
// encoding/json.
func TestAppendJSONFallsBack(t *testing.T) {
	for _, v := range []any{3, json.Number("1"), map[string]string{"a": "b"}, struct{}{},
		math.NaN(), []any{math.Inf(1)}, map[string]any{"a": math.Inf(-1)}} {
		if got, ok := appendJSON(nil, v); ok {
			t.Errorf("appendJSON(%#v) = %s, want fallback", v, got)
		}
	}
}

func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func BenchmarkJSONText(b *testing.B) {
	in := map[string]any{
		"subject": map[string]any{"type": "user", "id": "alice", "roles": []any{"editor"},
			"attributes": map[string]any{"department": "eng", "clearance": 2.0}},
		"resource": map[string]any{"type": "document", "id": "d3",
			"attributes": map[string]any{"owner": "bob", "department": "eng", "sensitivity": 1.0}},
		"action":      map[string]any{"name": "write", "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller":      map[string]any{"id": "local"},
	}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var scratch []byte
		for b.Loop() {
			if _, err := jsonText(&scratch, in, "{}"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(in); err != nil {
				b.Fatal(err)
			}
			_ = buf.String()
		}
	})
}

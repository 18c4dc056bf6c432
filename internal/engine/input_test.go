package engine

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestInputValueMatchesInterfaceToValue: the direct conversion builds the
// same value as OPA's generic one, for every type a request carries.
func TestInputValueMatchesInterfaceToValue(t *testing.T) {
	type custom struct {
		A int `json:"a"`
	}
	for _, tc := range []struct {
		name  string
		input map[string]any
	}{
		{"empty", map[string]any{}},
		{"request", exampleInput()},
		{"numbers", map[string]any{"n": []any{0.0, 1.0, 2.0, 511.0, 512.0, -1.0, 2.5, 1e21, 1e-7, math.MaxFloat64, -0.0}}},
		{"scalars", map[string]any{"t": true, "f": false, "null": nil, "s": "", "u": "ünïcode"}},
		{"nested", map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": []any{}}, []any{"x", 1.0}}}}},
		{"strings", map[string]any{"roles": []string{"a", "b"}, "none": []string{}}},
		{"other types", map[string]any{"i": 3, "i64": int64(-4), "num": json.Number("12345678901234567890"),
			"ms": map[string]string{"k": "v"}, "struct": custom{A: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := ast.InterfaceToValue(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inputValue(tc.input)
			if err != nil {
				t.Fatalf("inputValue: %v", err)
			}
			if got.Compare(want) != 0 || got.String() != want.String() {
				t.Errorf("inputValue = %v\nwant          %v", got, want)
			}
			if got.Hash() != want.Hash() {
				t.Errorf("hash %d, want %d", got.Hash(), want.Hash())
			}
		})
	}
}

// TestInputValueError: a value that cannot be converted is an error naming
// where it is, not a panic.
func TestInputValueError(t *testing.T) {
	_, err := inputValue(map[string]any{"subject": map[string]any{"attributes": map[string]any{"ch": make(chan int)}}})
	if err == nil {
		t.Fatal("inputValue accepted a channel")
	}
	if want := "subject: attributes: ch: convert chan int"; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q, want prefix %q", err, want)
	}
}

// exampleInput is an input document as pdp.Request.Input builds it from a
// CheckRequest of the example bundle's decision cases.
func exampleInput() map[string]any {
	return map[string]any{
		"subject": map[string]any{"type": "user", "id": "alice", "roles": []any{"editor"},
			"attributes": map[string]any{"department": "eng", "clearance": 2.0}},
		"resource": map[string]any{"type": "document", "id": "d3",
			"attributes": map[string]any{"owner": "bob", "department": "eng", "sensitivity": 1.0}},
		"action":      map[string]any{"name": "write", "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller":      map[string]any{"id": "local"},
	}
}

func BenchmarkInputValue(b *testing.B) {
	in := exampleInput()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := inputValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InterfaceToValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ast.InterfaceToValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("JSON round trip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := json.Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ast.ValueFromReader(bytesReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

package pdp

import (
	"encoding/json"
	"testing"
)

func TestOperandJSONKeepsZeroLiterals(t *testing.T) {
	tests := []struct {
		operand Operand
		want    string
	}{
		{Operand{Field: "resource.attributes.owner"}, `{"field":"resource.attributes.owner"}`},
		{Operand{Value: ""}, `{"value":""}`},
		{Operand{Value: false}, `{"value":false}`},
		{Operand{Value: 0.0}, `{"value":0}`},
		{Operand{}, `{"value":null}`},
		{Operand{Value: []any{"a", 1.5}}, `{"value":["a",1.5]}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.operand)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tt.operand, got, err, tt.want)
		}
		var back Operand
		if err := json.Unmarshal(got, &back); err != nil || back.Field != tt.operand.Field {
			t.Errorf("Unmarshal(%s) = %#v, %v", got, back, err)
		}
	}
}

func TestOpCompares(t *testing.T) {
	for _, tc := range []struct {
		op   Op
		want [3]bool // for cmp -1, 0, 1
	}{
		{OpEq, [3]bool{false, true, false}}, {OpNe, [3]bool{true, false, true}},
		{OpLt, [3]bool{true, false, false}}, {OpLe, [3]bool{true, true, false}},
		{OpGt, [3]bool{false, false, true}}, {OpGe, [3]bool{false, true, true}},
		{OpIn, [3]bool{}}, {OpAnd, [3]bool{}},
	} {
		for i, cmp := range []int{-1, 0, 1} {
			if got := tc.op.Compares(cmp); got != tc.want[i] {
				t.Errorf("%s.Compares(%d) = %v, want %v", tc.op, cmp, got, tc.want[i])
			}
		}
	}
}

package audit_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

func maskInput() map[string]any {
	return map[string]any{
		"subject":  map[string]any{"id": "alice", "attributes": map[string]any{"ssn": "123", "dept": "eng"}},
		"resource": map[string]any{"id": "d1", "tags": []any{"a", "b"}},
	}
}

func TestApplyMask(t *testing.T) {
	cases := []struct {
		name    string
		ops     []pdp.MaskOp
		want    map[string]any
		wantErr bool
	}{
		{"remove", []pdp.MaskOp{{Op: "remove", Path: "/input/subject/attributes/ssn"}},
			map[string]any{"subject": map[string]any{"id": "alice", "attributes": map[string]any{"dept": "eng"}},
				"resource": map[string]any{"id": "d1", "tags": []any{"a", "b"}}}, false},
		{"remove missing is a no-op", []pdp.MaskOp{{Op: "remove", Path: "/input/nope/x"}}, maskInput(), false},
		{"remove array element", []pdp.MaskOp{{Op: "remove", Path: "/input/resource/tags/1"}},
			map[string]any{"subject": maskInput()["subject"], "resource": map[string]any{"id": "d1", "tags": []any{"a", nil}}}, false},
		{"upsert creates", []pdp.MaskOp{{Op: "upsert", Path: "/input/environment/ip", Value: "x"}},
			func() map[string]any { m := maskInput(); m["environment"] = map[string]any{"ip": "x"}; return m }(), false},
		{"escaped pointer", []pdp.MaskOp{{Op: "upsert", Path: "/input/a~1b~0c", Value: 1.0}},
			func() map[string]any { m := maskInput(); m["a/b~c"] = 1.0; return m }(), false},
		{"whole input", []pdp.MaskOp{{Op: "remove", Path: "/input"}}, map[string]any{}, false},
		{"outside input", []pdp.MaskOp{{Op: "remove", Path: "/result"}}, nil, true},
		{"unknown op", []pdp.MaskOp{{Op: "hash", Path: "/input/x"}}, nil, true},
		{"upsert through a string", []pdp.MaskOp{{Op: "upsert", Path: "/input/subject/id/x", Value: 1.0}}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := maskInput()
			got, err := audit.ApplyMask(in, tc.ops)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
			if !reflect.DeepEqual(in, maskInput()) {
				t.Errorf("ApplyMask modified its input: %v", in)
			}
		})
	}
}

type rules struct {
	ops     []pdp.MaskOp
	defined bool
	err     error
	event   map[string]any
}

func (r *rules) MaskOps(_ context.Context, event func() map[string]any) ([]pdp.MaskOp, bool, error) {
	r.event = event()
	return r.ops, r.defined, r.err
}

func TestMasker(t *testing.T) {
	cases := []struct {
		name       string
		rules      rules
		wantMasked []string
		wantErr    bool
		wantInput  map[string]any
	}{
		{"undefined", rules{}, nil, false, maskInput()},
		{"masks", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/input/subject"}}, defined: true},
			[]string{"/input/subject"}, false, map[string]any{"resource": maskInput()["resource"]}},
		{"rule error", rules{defined: true, err: errors.New("conflict")}, []string{"/input"}, true, map[string]any{}},
		{"malformed op", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/output"}}, defined: true}, []string{"/input"}, true, map[string]any{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := pdp.Record{DecisionID: "d", Input: maskInput(), Allow: true, Reasons: []string{"r"}}
			audit.NewMasker(&tc.rules).Mask(context.Background(), &rec)
			if !reflect.DeepEqual(rec.Masked, tc.wantMasked) || rec.MaskError != tc.wantErr || !reflect.DeepEqual(rec.Input, tc.wantInput) {
				t.Errorf("record: masked %v, mask_error %v, input %v", rec.Masked, rec.MaskError, rec.Input)
			}
			result, _ := tc.rules.event["result"].(map[string]any)
			if result["allow"] != true || tc.rules.event["decision_id"] != "d" {
				t.Errorf("the rule saw event %v", tc.rules.event)
			}
		})
	}
}

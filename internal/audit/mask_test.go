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

// maskRecord is a record whose columns are read from maskInput, as the
// decision service builds it.
func maskRecord(errText string) pdp.Record {
	in := maskInput()
	in["action"] = map[string]any{"name": "read"}
	in["caller"] = map[string]any{"id": "svc"}
	in["subject"].(map[string]any)["type"] = "user"
	in["resource"].(map[string]any)["type"] = "doc"
	in["resource"].(map[string]any)["attributes"] = map[string]any{"n": 123456789.0, "q": `a"b`}
	return pdp.Record{DecisionID: "d", Input: in, Caller: "svc", SubjectType: "user", SubjectID: "alice",
		ResourceType: "doc", ResourceID: "d1", Action: "read", Error: errText}
}

func TestMaskerRedactsError(t *testing.T) {
	const conflict = "m.rego:8: eval_conflict_error: rule data.m.c produced conflicting values:\n  \"eng\" at m.rego:8\n  \"123\" at m.rego:8"
	remove := func(p string) []pdp.MaskOp { return []pdp.MaskOp{{Op: pdp.MaskRemove, Path: p}} }
	cases := []struct {
		name  string
		rules rules
		err   string
		want  string
	}{
		{"string removed", rules{ops: remove("/input/subject/attributes/ssn"), defined: true}, conflict,
			"m.rego:8: eval_conflict_error: rule data.m.c produced conflicting values:\n  \"eng\" at m.rego:8\n  \"<masked>\" at m.rego:8"},
		{"object removed", rules{ops: remove("/input/subject/attributes"), defined: true}, conflict,
			"m.rego:8: eval_conflict_error: rule data.m.c produced conflicting values:\n  \"<masked>\" at m.rego:8\n  \"<masked>\" at m.rego:8"},
		{"number upserted, as JSON and as Rego prints it", rules{ops: []pdp.MaskOp{{Op: pdp.MaskUpsert, Path: "/input/resource/attributes/n", Value: 0.0}}, defined: true},
			"x: eval_type_error: 123456789 or 1.23456789e+08", "x: eval_type_error: <masked> or <masked>"},
		{"quoted string", rules{ops: remove("/input/resource/attributes/q"), defined: true},
			`eval_builtin_error: got "a\"b"`, `eval_builtin_error: got "<masked>"`},
		{"whole input", rules{ops: remove("/input"), defined: true}, `x: "eng" "123" "d1" "svc" "9"`,
			`x: "<masked>" "<masked>" "<masked>" "<masked>" "9"`},
		{"nothing masked", rules{}, conflict, conflict},
		{"no error", rules{ops: remove("/input/subject/attributes/ssn"), defined: true}, "", ""},
		{"rule failed keeps the kind", rules{defined: true, err: errors.New("conflict")}, conflict,
			"eval_conflict_error: details erased (the mask rule failed)"},
		{"rule failed, no kind", rules{ops: remove("/result"), defined: true}, "convert input: 123",
			"evaluation_error: details erased (the mask rule failed)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := maskRecord(tc.err)
			audit.NewMasker(&tc.rules).Mask(context.Background(), &rec)
			if rec.Error != tc.want {
				t.Errorf("error %q\nwant  %q", rec.Error, tc.want)
			}
		})
	}
}

func TestMaskerColumnsFollowTheMask(t *testing.T) {
	type cols struct{ caller, subjectType, subjectID, resourceType, resourceID, action string }
	orig := cols{"svc", "user", "alice", "doc", "d1", "read"}
	cases := []struct {
		name  string
		rules rules
		want  cols
	}{
		{"unrelated pointer", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/input/subject/attributes"}}, defined: true}, orig},
		{"removed", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/input/subject/id"}, {Op: "remove", Path: "/input/action/name"}}, defined: true},
			cols{"svc", "user", "", "doc", "d1", ""}},
		{"parent removed", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/input/resource"}, {Op: "remove", Path: "/input/caller"}}, defined: true},
			cols{"", "user", "alice", "", "", "read"}},
		{"upserted string", rules{ops: []pdp.MaskOp{{Op: "upsert", Path: "/input/subject/id", Value: "****"}}, defined: true},
			cols{"svc", "user", "****", "doc", "d1", "read"}},
		{"upserted non-string", rules{ops: []pdp.MaskOp{{Op: "upsert", Path: "/input/resource/id", Value: 7.0},
			{Op: "upsert", Path: "/input/subject", Value: map[string]any{"type": map[string]any{"k": "<v>"}}}}, defined: true},
			cols{"svc", `{"k":"<v>"}`, "", "doc", "7", "read"}},
		{"whole input", rules{ops: []pdp.MaskOp{{Op: "remove", Path: "/input"}}, defined: true}, cols{}},
		{"rule failed keeps them", rules{defined: true, err: errors.New("conflict")}, orig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := maskRecord("")
			audit.NewMasker(&tc.rules).Mask(context.Background(), &rec)
			got := cols{rec.Caller, rec.SubjectType, rec.SubjectID, rec.ResourceType, rec.ResourceID, rec.Action}
			if got != tc.want {
				t.Errorf("columns %+v, want %+v", got, tc.want)
			}
		})
	}
}

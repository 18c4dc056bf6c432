package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

// A resource plan's record carries its kind and answer in every format; a
// decision's carries neither.
func TestPlanRecordFormats(t *testing.T) {
	plan := audittest.NewRecord(1)
	plan.Kind, plan.Plan = pdp.RecordKindPlan, audittest.PlanOf(1)
	for name, tc := range map[string]struct {
		rec  pdp.Record
		want bool
	}{"plan": {plan, true}, "decision": {audittest.NewRecord(2), false}} {
		t.Run(name, func(t *testing.T) {
			e := audit.Entry{Seq: 1, Record: tc.rec}
			var line map[string]any
			b, _ := json.Marshal(toJSONRecord(e))
			_ = json.Unmarshal(b, &line)
			_, hasPlan := line["plan"]
			row := csvRow(e)
			var detail bytes.Buffer
			if err := printDetail(&detail, e); err != nil {
				t.Fatal(err)
			}
			got := []bool{hasPlan, line["kind"] == pdp.RecordKindPlan, row[len(row)-3] == pdp.RecordKindPlan,
				strings.Contains(row[len(row)-2], "resource.attributes.owner"), strings.Contains(detail.String(), "kind:            plan")}
			for i, g := range got {
				if g != tc.want {
					t.Errorf("check %d = %v, want %v (json %s, csv %q)", i, g, tc.want, b, row)
				}
			}
			if len(row) != len(csvHeader) {
				t.Errorf("csv row has %d fields, header %d", len(row), len(csvHeader))
			}
		})
	}
}

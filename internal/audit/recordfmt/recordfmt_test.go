package recordfmt_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/recordfmt"
	"github.com/pdp-project/pdp/internal/pdp"
)

func entry() audit.Entry {
	return audit.Entry{Seq: 7, PrevHash: "p", Hash: "h", Record: pdp.Record{DecisionID: "d-1",
		Time: time.Date(2026, 12, 4, 10, 0, 0, 5e6, time.FixedZone("x", 3600)), Caller: "svc", SubjectType: "user", SubjectID: "a",
		ResourceType: "doc", ResourceID: "r<1>", Action: "read", Allow: true, Obligations: map[string]any{"log": true},
		Input: map[string]any{"k": "v"}, BundleRevision: "rev", Entrypoint: "authz/decision", Latency: 1500 * time.Microsecond,
		TraceID: "t", BundleDigest: "dg"}}
}

// TestCSVRow pins the columns and the spelling of each value: a CSV file
// exported by the console and one printed by pdp audit query read alike.
func TestCSVRow(t *testing.T) {
	row := recordfmt.CSVRow(entry())
	if len(row) != len(recordfmt.CSVHeader) {
		t.Fatalf("%d cells, header has %d", len(row), len(recordfmt.CSVHeader))
	}
	want := "7|d-1|2026-12-04T09:00:00.005000000Z|svc|user|a|doc|r<1>|read|true|[]|rev|authz/decision|false|1500||[]|false|" +
		`{"k":"v"}|{"log":true}|h|t|dg|||`
	if got := strings.Join(row, "|"); got != want {
		t.Errorf("row\n%s\nwant\n%s", got, want)
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(recordfmt.JSON(entry()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"subject":{"type":"user","id":"a"}`, `"reasons":[]`, `"masked":[]`, `"latency_us":1500`,
		`"time":"2026-12-04T09:00:00.005000000Z"`, `"prev_hash":"p"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}

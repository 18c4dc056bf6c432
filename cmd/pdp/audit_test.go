package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

var cliBase = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// cliTrail writes 12 records to a new database: subjects user:u0..u2 and
// service:u0.., every third one allowed, one an hour from cliBase.
func cliTrail(t *testing.T) (string, []pdp.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := audittest.NewRecords(12)
	for i := range recs {
		recs[i].Time = cliBase.Add(time.Duration(i) * time.Hour)
		recs[i].SubjectType, recs[i].SubjectID = []string{"user", "service"}[i%2], fmt.Sprintf("u%d", i%3)
		recs[i].Allow, recs[i].Action = i%3 == 0, []string{"read", "write"}[i%2]
		recs[i].TraceID = fmt.Sprintf("%032x", i+1)
	}
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return path, recs
}

func runCLI(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
	return out.String(), errOut.String(), code
}

func TestAuditQueryFilters(t *testing.T) {
	db, recs := cliTrail(t)
	since := cliBase.Add(8 * time.Hour).Format(time.RFC3339)
	cases := []struct {
		name string
		args []string
		want func(i int) bool
	}{
		{"all", nil, func(int) bool { return true }},
		{"subject id", []string{"--subject", "u1"}, func(i int) bool { return i%3 == 1 }},
		{"subject type:id", []string{"--subject", "user:u1"}, func(i int) bool { return i%3 == 1 && i%2 == 0 }},
		{"resource type", []string{"--resource", "document"}, func(int) bool { return true }},
		{"resource type:id", []string{"--resource", "document:doc-3"}, func(i int) bool { return i%7 == 3 }},
		{"decision allow", []string{"--decision", "allow"}, func(i int) bool { return i%3 == 0 }},
		{"decision deny", []string{"--decision", "deny"}, func(i int) bool { return i%3 != 0 }},
		{"action", []string{"--action", "write"}, func(i int) bool { return i%2 == 1 }},
		{"since time", []string{"--since", since}, func(i int) bool { return i >= 8 }},
		{"until time", []string{"--until", since}, func(i int) bool { return i < 8 }},
		{"caller", []string{"--caller", "nobody"}, func(int) bool { return false }},
		{"limit", []string{"--limit", "2"}, func(i int) bool { return i >= 10 }},
		{"trace id", []string{"--trace-id", fmt.Sprintf("%032x", 5)}, func(i int) bool { return i == 4 }},
		{"reason", []string{"--reason", "owner"}, func(int) bool { return true }},
		{"reason none has", []string{"--reason", "admin"}, func(int) bool { return false }},
		{"entrypoint", []string{"--entrypoint", "authz/decision"}, func(int) bool { return true }},
		{"error text", []string{"--error", "conflict"}, func(int) bool { return false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(append([]string{"audit", "query", "--audit-db", db, "--format", "json"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got, want []string
			for line := range strings.Lines(out) {
				var r map[string]any
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				for _, k := range []string{"decision_id", "time", "subject", "resource", "action", "allow", "reasons", "bundle_revision", "cache_hit", "input"} {
					if _, ok := r[k]; !ok {
						t.Fatalf("line lacks %q: %s", k, line)
					}
				}
				got = append(got, r["decision_id"].(string))
			}
			for i := len(recs) - 1; i >= 0; i-- {
				if tc.want(i) {
					want = append(want, recs[i].DecisionID)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestAuditFormatsAndExitCodes(t *testing.T) {
	db, recs := cliTrail(t)
	out, _, code := runCLI("audit", "query", "--audit-db", db, "--format", "csv", "--limit", "3")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 4 || rows[0][1] != "decision_id" || rows[1][1] != recs[11].DecisionID {
		t.Errorf("csv: exit %d, %v, rows %v", code, err, rows)
	}
	out, _, code = runCLI("audit", "query", "--audit-db", db, "--limit", "1")
	if code != 0 || !strings.HasPrefix(out, "TIME") || !strings.Contains(out, recs[11].DecisionID) {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	out, _, code = runCLI("audit", "show", "--audit-db", db, recs[4].DecisionID)
	if code != 0 || !strings.Contains(out, "decision_id:     "+recs[4].DecisionID) || !strings.Contains(out, "seq:             5") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	out, _, code = runCLI("audit", "verify", "--audit-db", db, "--allow-empty") // no signed checkpoint
	if code != 0 || !strings.Contains(out, "12 records") {
		t.Errorf("verify: exit %d\n%s", code, out)
	}
	usage := [][]string{
		{"audit", "query", "--audit-db", filepath.Join(t.TempDir(), "missing.db")},
		{"audit", "query", "--audit-db", db, "--format", "xml"},
		{"audit", "query", "--audit-db", db, "--decision", "maybe"},
		{"audit", "query", "--audit-db", db, "--since", "yesterday"},
		{"audit", "show", "--audit-db", db},
		{"audit", "frobnicate"},
		{"audit"},
	}
	for _, args := range usage {
		if _, errOut, code := runCLI(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	if _, _, code := runCLI("audit", "show", "--audit-db", db, "no-such-id"); code != exitFailure {
		t.Errorf("show of an unknown id: exit %d, want 1", code)
	}
}

// TestAuditTailFilters: tail prints only the records its filters select,
// from --after-seq on, until interrupted.
func TestAuditTailFilters(t *testing.T) {
	db, recs := cliTrail(t)
	cases := []struct {
		name string
		args []string
		want func(i int) bool
	}{
		{"no filter", nil, func(int) bool { return true }},
		{"subject", []string{"--subject", "u1"}, func(i int) bool { return i%3 == 1 }},
		{"decision and action", []string{"--decision", "allow", "--action", "write"}, func(i int) bool { return i%3 == 0 && i%2 == 1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
			defer cancel()
			var out, errOut bytes.Buffer
			args := append([]string{"audit", "tail", "--audit-db", db, "--after-seq", "2", "--format", "csv"}, tc.args...)
			if code := run(ctx, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var want []string
			for i := 2; i < len(recs); i++ { // seq i+1 > 2
				if tc.want(i) {
					want = append(want, recs[i].DecisionID)
				}
			}
			if got := csvIDs(t, out.String()); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("tail printed %v, want %v", got, want)
			}
		})
	}
}

// csvIDs returns the decision_id column of csv output (after its header).
func csvIDs(t *testing.T, out string) []string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("csv %q: %v", out, err)
	}
	col := slices.Index(rows[0], "decision_id")
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[col])
	}
	return ids
}

// TestAuditQueryEmpty: a query that selects nothing says so: the table's
// header and "0 records", the csv header, or "0 records" on stderr beside
// empty JSON Lines.
func TestAuditQueryEmpty(t *testing.T) {
	db, _ := cliTrail(t)
	tests := []struct {
		format, stdout, stderr string
	}{
		{"table", "TIME  DECISION ID  SUBJECT  ACTION  RESOURCE  ALLOW  REASONS  REVISION\n0 records\n", ""},
		{"csv", strings.Join(csvHeader, ",") + "\n", ""},
		{"json", "", "0 records\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out, errOut, code := runCLI("audit", "query", "--audit-db", db, "--caller", "nobody", "--format", tt.format)
			if code != exitOK || out != tt.stdout || errOut != tt.stderr {
				t.Errorf("exit %d\nstdout:\n%q, want %q\nstderr:\n%q, want %q", code, out, tt.stdout, errOut, tt.stderr)
			}
		})
	}
}

// TestAuditTraceID: show, json and csv print each record's trace id.
func TestAuditTraceID(t *testing.T) {
	db, recs := cliTrail(t)
	id, trace := recs[4].DecisionID, recs[4].TraceID
	out, _, code := runCLI("audit", "show", "--audit-db", db, id)
	if code != exitOK || !strings.Contains(out, "trace_id:        "+trace+"\n") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	out, _, code = runCLI("audit", "show", "--audit-db", db, id, "--format", "json")
	if code != exitOK || !strings.Contains(out, `"trace_id":"`+trace+`"`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	out, _, code = runCLI("audit", "show", "--audit-db", db, id, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) != 2 {
		t.Fatalf("csv: exit %d, %v\n%s", code, err, out)
	}
	if col := slices.Index(rows[0], "trace_id"); col < 0 || rows[1][col] != trace {
		t.Errorf("csv trace_id column: %v", rows)
	}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// exposition is a /metrics text as the pdp serves it, with the backlog
// gauge's value left to fill in.
const exposition = `# HELP pdp_audit_backlog_bytes Bytes the audit journal holds on disk.
# TYPE pdp_audit_backlog_bytes gauge
pdp_audit_backlog_bytes 1.048576e+06
# HELP pdp_audit_backlog_oldest_seconds Age of the oldest audit record waiting in the journal (0 when none).
# TYPE pdp_audit_backlog_oldest_seconds gauge
pdp_audit_backlog_oldest_seconds 0.412
# HELP pdp_audit_backlog_records Audit records durable in the journal and not yet in the trail.
# TYPE pdp_audit_backlog_records gauge
pdp_audit_backlog_records %s
# HELP pdp_cache_requests_total Decision cache lookups by tier and outcome.
# TYPE pdp_cache_requests_total counter
pdp_cache_requests_total{outcome="hit",tier="local"} 812
`

func TestBacklogRecords(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int
		wantErr    string
	}{
		{"empty backlog", fmt.Sprintf(exposition, "0"), 0, ""},
		{"integer", fmt.Sprintf(exposition, "5821"), 5821, ""},
		{"float notation", fmt.Sprintf(exposition, "1.2345e+06"), 1234500, ""},
		{"with a timestamp", "pdp_audit_backlog_records 17 1700000000000\n", 17, ""},
		{"a longer name is another metric", "pdp_audit_backlog_records_total 3\npdp_audit_backlog_records 4\n", 4, ""},
		{"labelled series only", `pdp_audit_backlog_records{store="x"} 3` + "\n", 0, "no pdp_audit_backlog_records"},
		{"absent", "pdp_audit_backlog_bytes 10\n", 0, "no pdp_audit_backlog_records"},
		{"no value", "pdp_audit_backlog_records \n", 0, "has no value"},
		{"not a number", fmt.Sprintf(exposition, "many"), 0, "parse pdp_audit_backlog_records"},
		{"NaN", fmt.Sprintf(exposition, "NaN"), 0, "not a count"},
		{"negative", fmt.Sprintf(exposition, "-1"), 0, "not a count"},
		{"fraction", fmt.Sprintf(exposition, "2.5"), 0, "not a count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := backlogRecords(strings.NewReader(tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("backlogRecords = %d, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("backlogRecords = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// fakeMetrics serves a pdp /metrics whose backlog gauge answers backlog's
// values in turn, cycling, and returns its URL.
func fakeMetrics(t *testing.T, backlog []int) string {
	t.Helper()
	var calls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := backlog[int(calls.Add(1)-1)%len(backlog)]
		if n < 0 {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, exposition, fmt.Sprint(n))
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/metrics"
}

func TestTrailWatchWait(t *testing.T) {
	for _, tc := range []struct {
		name        string
		backlog     []int // successive answers; -1 is an HTTP 500; nil: no trail
		wantRecords int
		minTook     time.Duration
		wantErr     string
	}{
		{name: "no trail"},
		{name: "already caught up", backlog: []int{0}},
		{name: "drains over three polls", backlog: []int{300, 120, 5, 0}, wantRecords: 300, minTook: 3 * catchUpPoll},
		{name: "never drains", backlog: []int{9, 8}, wantRecords: 9, minTook: 400 * time.Millisecond, wantErr: "records behind 400ms"},
		{name: "endpoint fails", backlog: []int{-1}, wantErr: "500"},
		{name: "endpoint fails while draining", backlog: []int{4, -1}, wantRecords: 4, wantErr: "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w *trailWatch
			if tc.backlog != nil {
				w = newTrailWatch(fakeMetrics(t, tc.backlog))
			}
			c, err := w.wait(context.Background(), 400*time.Millisecond)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("wait: %v, want error %q", err, tc.wantErr)
			}
			checkCatchUp(t, c, tc.backlog == nil || tc.backlog[0] < 0, tc.wantRecords, tc.minTook)
		})
	}
}

func checkCatchUp(t *testing.T, c *catchUp, wantNil bool, records int, minTook time.Duration) {
	t.Helper()
	switch {
	case wantNil && c != nil:
		t.Errorf("catch-up %+v, want none", *c)
	case wantNil:
	case c == nil:
		t.Errorf("no catch-up, want %d records", records)
	case c.records != records || c.took < minTook || c.took > minTook+5*time.Second:
		t.Errorf("catch-up %d records in %v, want %d in at least %v", c.records, c.took, records, minTook)
	}
}

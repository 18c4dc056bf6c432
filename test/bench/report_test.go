package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// results is one round of every scenario; change adjusts it.
func results(change func(byName map[string]*result)) []result {
	rs := []result{
		{scenario: "noop", rps: 10000, p99: 2 * time.Millisecond, serverCPU: 40 * time.Microsecond},
		{scenario: "check-uncached", rps: 3000, p99: 4 * time.Millisecond, serverCPU: 200 * time.Microsecond},
		{scenario: "check-cached", rps: 6500, p99: 3 * time.Millisecond, serverCPU: 100 * time.Microsecond},
		{scenario: "check-redis", skipped: "no redis-server"},
		{scenario: "opa-rest", rps: 2000, p99: 5 * time.Millisecond, serverCPU: 300 * time.Microsecond},
		{scenario: "opa-rest-logged", rps: 2000, p99: 6 * time.Millisecond},
	}
	byName := map[string]*result{}
	for i := range rs {
		byName[rs[i].scenario] = &rs[i]
	}
	if change != nil {
		change(byName)
	}
	return rs
}

// tableLines is a table's lines with runs of spaces collapsed to one.
func tableLines(out string) map[string]bool {
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[strings.Join(strings.Fields(l), " ")] = true
	}
	return lines
}

func TestRatios(t *testing.T) {
	for _, tc := range []struct {
		name       string
		change     func(map[string]*result)
		want       []string
		wantMissed int
	}{
		{"targets met at their bounds", nil, []string{
			"ratio target measured",
			"check-cached CPU / noop CPU <= 2.5x 2.50x met",
			"check-uncached CPU / opa-rest CPU <= 0.67x 0.67x met",
			"check-uncached p99 / opa-rest p99 < 1x 0.80x met",
			"check-cached p99 / opa-rest p99 < 1x 0.60x met",
			"check-uncached rps / opa-rest-logged rps >= 1.5x 1.50x met",
			"check-uncached CPU / opa-rest-logged CPU - - no figure",
			"check-uncached rps / opa-rest rps - 1.50x",
			"check-redis rps / opa-rest rps - - not run",
			"errors in every scenario 0 0 missed",
		}, 1}, // the skipped scenario
		{"targets missed", func(m map[string]*result) {
			m["check-cached"].serverCPU = 101 * time.Microsecond
			m["check-uncached"].serverCPU = 202 * time.Microsecond
			m["check-uncached"].p99 = 5 * time.Millisecond
			m["check-cached"].errors = 3
			m["opa-rest-logged"].skipped = "no opa"
		}, []string{
			"check-cached CPU / noop CPU <= 2.5x 2.52x missed",
			"check-uncached CPU / opa-rest CPU <= 0.67x 0.67x missed",
			"check-uncached p99 / opa-rest p99 < 1x 1.00x missed",
			"check-cached p99 / opa-rest p99 < 1x 0.60x met",
			"check-uncached rps / opa-rest-logged rps >= 1.5x - not run",
			"errors in every scenario 0 3 missed",
		}, 5},
		{"a CPU figure missing misses its target", func(m map[string]*result) {
			m["noop"].serverCPU = 0
			m["check-redis"].skipped = ""
		}, []string{
			"check-cached CPU / noop CPU <= 2.5x - no figure",
			"check-redis rps / opa-rest rps - - no figure",
			"errors in every scenario 0 0 met",
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			missed := printRatios(&out, results(tc.change))
			lines := tableLines(out.String())
			for _, want := range tc.want {
				if !lines[want] {
					t.Errorf("table lacks %q:\n%s", want, out.String())
				}
			}
			if missed != tc.wantMissed {
				t.Errorf("missed = %d, want %d:\n%s", missed, tc.wantMissed, out.String())
			}
		})
	}
}

// TestMedianRatios: over rounds, a target is judged by the median of its
// per-round ratios, and the range shows the spread.
func TestMedianRatios(t *testing.T) {
	round := func(uncachedRPS float64, cachedCPU time.Duration) []result {
		return results(func(m map[string]*result) {
			m["check-uncached"].rps = uncachedRPS
			m["check-cached"].serverCPU = cachedCPU
			m["check-redis"].skipped = ""
			m["opa-rest-logged"].serverCPU = 250 * time.Microsecond
		})
	}
	rounds := [][]result{
		round(2000, 80*time.Microsecond), round(4000, 120*time.Microsecond), round(3200, 90*time.Microsecond),
	}
	var out bytes.Buffer
	missed := printMedianRatios(&out, rounds)
	lines := tableLines(out.String())
	for _, want := range []string{
		"median of 3 rounds target measured range",
		"check-cached CPU / noop CPU <= 2.5x 2.25x 2.00-3.00x met",
		"check-uncached rps / opa-rest-logged rps >= 1.5x 1.60x 1.00-2.00x met",
		"check-uncached CPU / opa-rest-logged CPU - 0.80x 0.80-0.80x",
		"check-redis rps / noop rps - - - not run",
		"errors in every scenario 0 0 met",
	} {
		if !lines[want] {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if missed != 0 {
		t.Errorf("missed = %d, want 0:\n%s", missed, out.String())
	}
	rounds[1][4].errors = 3
	if missed := printMedianRatios(io.Discard, rounds); missed != 1 {
		t.Errorf("with errors in one round: missed = %d, want 1", missed)
	}
}

func TestResultLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    result
		want string
	}{
		{"not a pdp", result{scenario: "opa-rest-logged", rps: 2500.4, p50: 1500 * time.Microsecond, p99: 9 * time.Millisecond},
			"RESULT scenario=opa-rest-logged rps=2500 p50_ms=1.500 p99_ms=9.000 errors=0 backlog_at_end=- catchup_s=-"},
		{"a pdp", result{scenario: "check-cached", rps: 5000, p50: time.Millisecond, p99: 4 * time.Millisecond, errors: 1,
			trail: &catchUp{records: 2317, took: 640 * time.Millisecond}},
			"RESULT scenario=check-cached rps=5000 p50_ms=1.000 p99_ms=4.000 errors=1 backlog_at_end=2317 catchup_s=0.64"},
		{"skipped", result{scenario: "check-redis", skipped: "no redis-server"},
			`SKIP scenario=check-redis reason="no redis-server"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.line(); got != tc.want {
				t.Errorf("line() = %q, want %q", got, tc.want)
			}
		})
	}
}

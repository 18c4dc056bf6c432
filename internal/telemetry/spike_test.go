package telemetry

import (
	"testing"
	"time"
)

// traffic is n decisions of one caller about one subject in which every
// denyEvery-th is a deny (0: none), all in the current window.
type traffic struct{ n, denyEvery int }

func (tr traffic) run(d *SpikeDetector) []Spike {
	var out []Spike
	for i := 1; i <= tr.n; i++ {
		allow := tr.denyEvery == 0 || i%tr.denyEvery != 0
		out = append(out, d.Observe("svc-a", "user:alice", allow)...)
	}
	return out
}

var (
	steady = traffic{n: 50, denyEvery: 10} // 10% denies
	burst  = traffic{n: 50, denyEvery: 1}  // every decision denied
	quiet  = traffic{n: 5, denyEvery: 1}   // under the minimum volume
)

func TestSpikeDetector(t *testing.T) {
	tests := []struct {
		name    string
		windows []traffic
		// want is, per window, the alarms expected: "+" raised, "-" cleared,
		// for the caller and the subject alike.
		want []string
	}{
		{"steady traffic never alarms", []traffic{steady, steady, steady, steady, steady, steady}, []string{"", "", "", "", "", ""}},
		{"burst after a baseline alarms once, then subsides", []traffic{steady, steady, burst, burst, steady, steady}, []string{"", "", "+", "", "-", ""}},
		{"a new key has no baseline yet", []traffic{burst, burst}, []string{"", ""}},
		{"a small burst is under the minimum volume", []traffic{steady, steady, quiet, steady}, []string{"", "", "", ""}},
		{"an alarmed key that goes quiet subsides", []traffic{steady, burst, {}, {}}, []string{"", "+", "", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			d := NewSpikeDetector(SpikeOptions{Ratio: 3, Min: 20, Window: time.Minute, Clock: func() time.Time { return now }})
			for i, w := range tt.windows {
				got := w.run(d)
				if w.n == 0 { // a quiet window: a decision of someone else lets the sweep run
					got = d.Observe("svc-b", "user:bob", true)
				}
				checkSpikes(t, i, got, tt.want[i])
				now = now.Add(time.Minute)
			}
		})
	}
}

func checkSpikes(t *testing.T, window int, got []Spike, want string) {
	t.Helper()
	if want == "" {
		if len(got) != 0 {
			t.Fatalf("window %d: unexpected alarms %+v", window, got)
		}
		return
	}
	if len(got) != 2 {
		t.Fatalf("window %d: got %+v, want %q for caller and subject", window, got, want)
	}
	scopes := map[string]string{}
	for _, s := range got {
		if s.Raised != (want == "+") {
			t.Errorf("window %d: %+v, want raised=%v", window, s, want == "+")
		}
		scopes[s.Scope] = s.Key
	}
	if scopes[ScopeCaller] != "svc-a" || scopes[ScopeSubject] != "user:alice" {
		t.Errorf("window %d: keys %v", window, scopes)
	}
}

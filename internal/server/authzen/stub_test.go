package authzen

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/pdp-project/pdp/internal/pdp"
)

// stubDecider answers the candidates lookup with a fixed decision and
// permits every candidate under revision batchRev; it keeps the requests
// it was asked to decide.
type stubDecider struct {
	lookup   pdp.Decision
	batchRev string
	mu       sync.Mutex
	decided  []pdp.Request
}

var _ Decider = (*stubDecider)(nil)

func (s *stubDecider) Check(context.Context, pdp.Request) (pdp.Decision, error) {
	return s.lookup, nil
}

func (s *stubDecider) CheckBatch(_ context.Context, reqs []pdp.Request) ([]pdp.Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decided = append(s.decided, reqs...)
	out := make([]pdp.Decision, len(reqs))
	for i := range out {
		out[i].Allow, out[i].BundleRevision = true, s.batchRev
	}
	return out, nil
}

func (s *stubDecider) MaxBatch() int { return 100 }

func (s *stubDecider) requests() []pdp.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decided
}

// candidatesLookup is an allowing lookup decision under revision r1 whose
// obligations.candidates is the JSON list.
func candidatesLookup(t *testing.T, list string) pdp.Decision {
	t.Helper()
	var obligations map[string]any
	if err := json.Unmarshal([]byte(`{"candidates":`+list+`}`), &obligations); err != nil {
		t.Fatal(err)
	}
	return pdp.Decision{ID: "d1", Result: pdp.Result{Allow: true, Obligations: obligations, BundleRevision: "r1"}}
}

// logBuffer collects JSON log lines, safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// warnings are the lines logged at warn.
func (b *logBuffer) warnings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if strings.Contains(line, `"level":"WARN"`) {
			out = append(out, line)
		}
	}
	return out
}

// stubFixture serves the API over dec, logging into the returned buffer.
func stubFixture(t *testing.T, dec *stubDecider) (*fixture, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	api := New(Options{Decider: dec, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	return &fixture{srv: serve(t, api)}, logs
}

package telemetry_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/telemetry"
)

// clock is a test clock that moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// logged decodes the JSON lines in buf.
func logged(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// step is a burst of n lines with one message, logged at level after the
// clock moved by advance.
type step struct {
	advance time.Duration
	level   slog.Level
	msg     string
	n       int
}

type line struct {
	msg        string
	suppressed float64 // 0: no count
}

func TestRepeatLimiter(t *testing.T) {
	const every = 10 * time.Second
	tests := []struct {
		name  string
		steps []step
		want  []line
	}{
		{"first line goes, repeats held", []step{{0, slog.LevelError, "audit write failed", 500}},
			[]line{{"audit write failed", 0}}},
		{"next interval carries the count", []step{{0, slog.LevelError, "a", 3}, {every, slog.LevelError, "a", 1}},
			[]line{{"a", 0}, {"a", 2}}},
		{"within the interval still held", []step{{0, slog.LevelError, "a", 1}, {every - time.Millisecond, slog.LevelError, "a", 4}},
			[]line{{"a", 0}}},
		{"kinds are limited apart", []step{{0, slog.LevelError, "a", 2}, {0, slog.LevelWarn, "b", 2}, {0, slog.LevelWarn, "a", 2}},
			[]line{{"a", 0}, {"b", 0}, {"a", 0}}},
		{"below warn passes", []step{{0, slog.LevelInfo, "decision", 3}},
			[]line{{"decision", 0}, {"decision", 0}, {"decision", 0}}},
		{"a quiet kind starts afresh", []step{{0, slog.LevelError, "a", 1}, {3 * every, slog.LevelError, "a", 2}},
			[]line{{"a", 0}, {"a", 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := &clock{t: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
			log := telemetry.NewRepeatLimiter(every, c.now).Logger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
			for _, s := range tc.steps {
				c.t = c.t.Add(s.advance)
				for range s.n {
					log.Log(t.Context(), s.level, s.msg, "error", "disk full")
				}
			}
			var got []line
			for _, m := range logged(t, &buf) {
				n, _ := m["suppressed"].(float64)
				got = append(got, line{m["msg"].(string), n})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("logged %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("line %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestRepeatLimiterSharedAcrossWith: loggers derived with With share the
// limit (the kind is the level and message, not the attributes), and the
// line after an interval says since when lines were held back.
func TestRepeatLimiterSharedAcrossWith(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	c := &clock{t: start}
	log := telemetry.NewRepeatLimiter(time.Second, c.now).Logger(slog.New(slog.NewJSONHandler(&buf, nil)))
	log.With("decision_id", "1").Error("audit write failed")
	log.With("decision_id", "2").Error("audit write failed")
	log.WithGroup("g").Error("audit write failed")
	c.t = c.t.Add(time.Second)
	log.Error("audit write failed")
	lines := logged(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if lines[1]["suppressed"] != 2.0 || lines[1]["suppressed_since"] != start.Format(time.RFC3339) {
		t.Errorf("second line = %v, want suppressed 2 since %s", lines[1], start.Format(time.RFC3339))
	}
}

package redis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/cache/redis"
)

// TestRouteLogs: go-redis' own line about a failed dial arrives in the
// PDP's JSON log, not as plain text on stderr.
func TestRouteLogs(t *testing.T) {
	var buf bytes.Buffer
	redis.RouteLogs(slog.New(slog.NewJSONHandler(&buf, nil)))
	s, err := redis.Open("redis://127.0.0.1:1/0", redis.Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	line, _, _ := strings.Cut(buf.String(), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["component"] != "go-redis" ||
		!strings.Contains(rec["msg"].(string), "dial") {
		t.Errorf("log %q (%v): want a JSON line from go-redis about the dial", buf.String(), err)
	}
}

package redis

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(2, time.Second, func() time.Time { return now })
	steps := []struct {
		name      string
		advance   time.Duration
		ok        bool // outcome recorded when the call is allowed
		allowed   bool
		openAfter bool
	}{
		{"closed: call", 0, false, true, false},
		{"second failure opens", 0, false, true, true},
		{"open: refused", 500 * time.Millisecond, true, false, true},
		{"cool-down over: one probe, which fails", 500 * time.Millisecond, false, true, true},
		{"re-opened: refused", 999 * time.Millisecond, true, false, true},
		{"probe succeeds: closed", time.Millisecond, true, true, false},
		{"one failure keeps it closed", 0, false, true, false},
		{"a success resets the count", 0, true, true, false},
		{"so one more failure does not open it", 0, false, true, false},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		allowed := b.allow()
		if allowed != s.allowed {
			t.Fatalf("%s: allow = %v, want %v", s.name, allowed, s.allowed)
		}
		if allowed {
			b.record(s.ok)
		}
		if b.open() != s.openAfter {
			t.Fatalf("%s: open = %v, want %v", s.name, b.open(), s.openAfter)
		}
	}
}

func TestBreakerOneProbeAtATime(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(1, time.Second, func() time.Time { return now })
	b.allow()
	b.record(false)
	now = now.Add(time.Second)
	if !b.allow() || b.allow() {
		t.Fatal("half-open must let exactly one probe through")
	}
}

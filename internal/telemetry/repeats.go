package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxRepeatKinds bounds the kinds a RepeatLimiter remembers; past it, kinds
// quiet for a whole interval are forgotten (messages are constants in
// practice, so this only guards against a message built from data).
const maxRepeatKinds = 1024

// RepeatLimiter lets through one log line of a kind (level and message) per
// interval. The lines it holds back are counted, and the next line of the
// kind that goes through carries that count as "suppressed" (with
// "suppressed_since", when the line before it went), so an outage
// that fails every request logs a line per interval, not one per request;
// the metrics carry the rate. Its handlers share one state, whatever
// attributes or groups are added to them.
type RepeatLimiter struct {
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	kinds map[repeatKind]*repeatState
}

type repeatKind struct {
	level slog.Level
	msg   string
}

type repeatState struct {
	last time.Time // when a line of the kind last went through
	held int       // lines held back since
}

// NewRepeatLimiter returns a limiter of one line per kind per every, on the
// clock now (time.Now in production).
func NewRepeatLimiter(every time.Duration, now func() time.Time) *RepeatLimiter {
	return &RepeatLimiter{every: every, now: now, kinds: map[repeatKind]*repeatState{}}
}

// Logger returns log with its lines at level Warn and above limited.
func (l *RepeatLimiter) Logger(log *slog.Logger) *slog.Logger {
	return slog.New(l.Handler(log.Handler(), slog.LevelWarn))
}

// Handler wraps next: records at min and above are limited, those below
// pass unchanged.
func (l *RepeatLimiter) Handler(next slog.Handler, min slog.Level) slog.Handler {
	return repeatHandler{next: next, l: l, min: min}
}

// allow reports whether a line of kind k may go now, and how many lines of
// the kind were held back since the last one went, at since.
func (l *RepeatLimiter) allow(k repeatKind) (ok bool, held int, since time.Time) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.kinds[k]
	if s == nil {
		l.forgetQuiet(now)
		l.kinds[k] = &repeatState{last: now}
		return true, 0, time.Time{}
	}
	if now.Sub(s.last) < l.every {
		s.held++
		return false, 0, time.Time{}
	}
	held, since = s.held, s.last
	s.last, s.held = now, 0
	return true, held, since
}

// forgetQuiet drops, when the limiter is full, the kinds with no line for
// an interval. Called with l.mu held.
func (l *RepeatLimiter) forgetQuiet(now time.Time) {
	if len(l.kinds) < maxRepeatKinds {
		return
	}
	for k, s := range l.kinds {
		if now.Sub(s.last) >= l.every {
			delete(l.kinds, k)
		}
	}
}

type repeatHandler struct {
	next slog.Handler
	l    *RepeatLimiter
	min  slog.Level
}

func (h repeatHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h repeatHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.min {
		return h.next.Handle(ctx, r)
	}
	ok, held, since := h.l.allow(repeatKind{r.Level, r.Message})
	if !ok {
		return nil
	}
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", held), slog.Time("suppressed_since", since))
	}
	return h.next.Handle(ctx, r)
}

func (h repeatHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return repeatHandler{next: h.next.WithAttrs(attrs), l: h.l, min: h.min}
}

func (h repeatHandler) WithGroup(name string) slog.Handler {
	return repeatHandler{next: h.next.WithGroup(name), l: h.l, min: h.min}
}

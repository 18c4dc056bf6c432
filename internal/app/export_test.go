package app

import "github.com/pdp-project/pdp/internal/decision"

// WithRecorder records every decision with rec instead of the audit trail:
// benchmarks measure the rest of the request path with it.
func WithRecorder(rec decision.Recorder) Option {
	return func(a *App) { a.recorder = rec }
}

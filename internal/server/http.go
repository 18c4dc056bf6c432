package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// ReadyFunc reports whether the PDP can answer (a bundle is active and the
// audit store accepts writes), with a JSON-encodable status.
type ReadyFunc func(ctx context.Context) (bool, any)

// HTTPOptions configures the HTTP edge.
type HTTPOptions struct {
	Ready  ReadyFunc
	Logger *slog.Logger
	// Extra handlers mounted on the mux (metrics, AuthZEN, ...).
	Handlers map[string]http.Handler
}

// NewHTTP builds the HTTP handler: /healthz, /readyz and any extras.
func NewHTTP(opts HTTPOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(opts.Ready))
	for pattern, h := range opts.Handlers {
		mux.Handle(pattern, h)
	}
	return mux
}

func readyz(ready ReadyFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ok, st := ready(ctx)
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, st)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

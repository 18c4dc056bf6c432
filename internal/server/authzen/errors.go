package authzen

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeError is the one mapping of errors to HTTP statuses. Coded errors
// keep their message; anything else is a bug, logged once here, and the
// client gets a generic message.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := a.status(r, err)
	writeJSON(w, code, errorBody{Error: msg})
}

func (a *API) status(r *http.Request, err error) (int, string) {
	switch {
	case errors.Is(err, context.Canceled):
		return 499, "request canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "deadline exceeded"
	}
	var e *pdp.Error
	if !errors.As(err, &e) || e.Code == pdp.CodeInternal {
		a.log.Error("internal error", "path", r.URL.Path, "error", err)
		return http.StatusInternalServerError, "internal error"
	}
	if e.Code == pdp.CodeUnavailable {
		a.log.Warn("unavailable", "path", r.URL.Path, "error", err)
		return http.StatusServiceUnavailable, e.Msg
	}
	return httpCode(e.Code), e.Error()
}

func httpCode(c pdp.Code) int {
	switch c {
	case pdp.CodeInvalidArgument:
		return http.StatusBadRequest
	case pdp.CodeUnauthenticated:
		return http.StatusUnauthorized
	case pdp.CodePermissionDenied:
		return http.StatusForbidden
	case pdp.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case codeNotImplemented:
		return http.StatusNotImplemented
	default:
		return http.StatusInternalServerError
	}
}

// codeNotImplemented marks a search the active bundle cannot answer.
const codeNotImplemented pdp.Code = "not_implemented"

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

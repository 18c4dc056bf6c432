package authzen

import (
	"encoding/json"
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
	code, msg := pdp.Public(err)
	switch code {
	case pdp.CodeInternal:
		a.log.Error("internal error", "path", r.URL.Path, "error", err)
	case pdp.CodeUnavailable:
		a.log.Warn("unavailable", "path", r.URL.Path, "error", err)
	}
	return httpCode(code), msg
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
	case codeNotImplemented, pdp.CodeFailedPrecondition: // a search the bundle cannot answer
		return http.StatusNotImplemented
	case pdp.CodeUnavailable:
		return http.StatusServiceUnavailable
	case pdp.CodeCanceled:
		return 499 // client closed request
	case pdp.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
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

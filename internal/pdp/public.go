package pdp

import (
	"context"
	"errors"
)

// Codes of a call its caller gave up on; no Error carries them.
const (
	CodeCanceled         Code = "canceled"
	CodeDeadlineExceeded Code = "deadline_exceeded"
)

// Public classifies err for the caller of any edge (gRPC, HTTP): its code
// and a message safe to show. An error without a code is a bug, reported as
// CodeInternal with a generic message; CodeUnavailable shows its own message,
// never its cause. Each edge maps the code to its transport's status.
func Public(err error) (Code, string) {
	switch {
	case errors.Is(err, context.Canceled):
		return CodeCanceled, "request canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded, "deadline exceeded"
	}
	var e *Error
	switch {
	case !errors.As(err, &e) || e.Code == CodeInternal:
		return CodeInternal, "internal error"
	case e.Code == CodeUnavailable:
		return CodeUnavailable, e.Msg
	}
	return e.Code, e.Error()
}

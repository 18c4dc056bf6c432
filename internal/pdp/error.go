package pdp

import (
	"errors"
	"fmt"
)

// Code classifies a failure independently of any transport.
type Code string

// Failure codes; the server maps each to one gRPC status.
const (
	CodeInvalidArgument   Code = "invalid_argument"
	CodeUnauthenticated   Code = "unauthenticated"
	CodePermissionDenied  Code = "permission_denied"
	CodeNotFound          Code = "not_found"
	CodeResourceExhausted Code = "resource_exhausted"
	CodeUnavailable       Code = "unavailable"
	// CodeFailedPrecondition: the request is valid but the active bundle
	// cannot answer it as asked (a policy a resource plan cannot express).
	CodeFailedPrecondition Code = "failed_precondition"
	CodeInternal           Code = "internal"
)

// Error is a failure with a code and a message that is safe to show callers.
// Field names the offending request field for CodeInvalidArgument.
type Error struct {
	Code  Code
	Field string
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a coded error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// InvalidField reports a bad request field.
func InvalidField(field, msg string) *Error {
	return &Error{Code: CodeInvalidArgument, Field: field, Msg: msg}
}

// Unavailable wraps a failure of a dependency the PDP cannot answer without.
func Unavailable(msg string, err error) *Error {
	return &Error{Code: CodeUnavailable, Msg: msg, Err: err}
}

// ErrorCode returns the code of err, CodeInternal when it carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// WithFieldPrefix returns err with prefix prepended to its field, as in
// "checks[3]." + "action.name".
func WithFieldPrefix(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	c := *e
	c.Field = prefix + e.Field
	return &c
}

package pdp

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestPublic(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code Code
		msg  string
	}{
		{"coded", InvalidField("action.name", "is required"), CodeInvalidArgument, "action.name: is required"},
		{"unavailable hides its cause", Unavailable("audit store unavailable", errors.New("/secret/path")), CodeUnavailable, "audit store unavailable"},
		{"uncoded is a bug", errors.New("nil map"), CodeInternal, "internal error"},
		{"canceled", fmt.Errorf("eval: %w", context.Canceled), CodeCanceled, "request canceled"},
		{"deadline", context.DeadlineExceeded, CodeDeadlineExceeded, "deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, msg := Public(tc.err); code != tc.code || msg != tc.msg {
				t.Fatalf("Public = %s %q, want %s %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

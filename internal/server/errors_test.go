package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/pdp"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code codes.Code
		msg  string
	}{
		{"invalid field", pdp.InvalidField("subject.id", "is required"), codes.InvalidArgument, "subject.id: is required"},
		{"wrapped invalid", fmt.Errorf("x: %w", pdp.InvalidField("policy", "unknown")), codes.InvalidArgument, "policy"},
		{"unavailable hides cause", pdp.Unavailable("audit store unavailable", errors.New("disk /secret full")), codes.Unavailable, "audit store unavailable"},
		{"permission", pdp.Errorf(pdp.CodePermissionDenied, "no"), codes.PermissionDenied, "no"},
		{"canceled", fmt.Errorf("eval: %w", context.Canceled), codes.Canceled, "canceled"},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, "deadline"},
		{"bug", errors.New("nil map at /internal/x"), codes.Internal, "internal error"},
		{"status passes", status.Error(codes.ResourceExhausted, "slow down"), codes.ResourceExhausted, "slow down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := status.Convert(toStatus(slog.New(slog.DiscardHandler), "/m", tc.err))
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Errorf("got %v %q, want %v containing %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if tc.code == codes.Unavailable && strings.Contains(st.Message(), "secret") {
				t.Errorf("internal detail leaked: %q", st.Message())
			}
		})
	}
}

package server

import (
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/pdp"
)

// toStatus is the one place that turns errors into gRPC statuses. Coded
// errors keep their message; anything else is a bug: logged once here, and
// the caller gets a generic message.
func toStatus(log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code, msg := pdp.Public(err)
	switch code {
	case pdp.CodeInternal:
		log.Error("internal error", "method", method, "error", err)
	case pdp.CodeUnavailable:
		log.Warn("unavailable", "method", method, "error", err)
	}
	return status.Error(grpcCode(code), msg)
}

func grpcCode(c pdp.Code) codes.Code {
	switch c {
	case pdp.CodeInvalidArgument:
		return codes.InvalidArgument
	case pdp.CodeUnauthenticated:
		return codes.Unauthenticated
	case pdp.CodePermissionDenied:
		return codes.PermissionDenied
	case pdp.CodeNotFound:
		return codes.NotFound
	case pdp.CodeResourceExhausted:
		return codes.ResourceExhausted
	case pdp.CodeUnavailable:
		return codes.Unavailable
	case pdp.CodeFailedPrecondition:
		return codes.FailedPrecondition
	case pdp.CodeCanceled:
		return codes.Canceled
	case pdp.CodeDeadlineExceeded:
		return codes.DeadlineExceeded
	default:
		return codes.Internal
	}
}

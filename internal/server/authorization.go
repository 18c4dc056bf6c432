package server

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

// MaxRequestBytes bounds one CheckRequest on the wire.
const MaxRequestBytes = 1 << 20

// Checker is the decision use case as the handlers need it.
type Checker interface {
	Check(ctx context.Context, req pdp.Request) (pdp.Decision, error)
	CheckBatch(ctx context.Context, reqs []pdp.Request) ([]pdp.Decision, error)
	MaxBatch() int
}

type authorizationService struct {
	pdpv1.UnimplementedAuthorizationServiceServer
	checker Checker
	planner Planner   // plan.go
	where   WhereFunc // plan.go
}

var _ pdpv1.AuthorizationServiceServer = (*authorizationService)(nil)

func (s *authorizationService) Check(ctx context.Context, in *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	if err := checkWire(in, ""); err != nil {
		return nil, err
	}
	d, err := s.checker.Check(ctx, toRequest(in, authn.CallerFromContext(ctx)))
	if err != nil {
		return nil, err
	}
	return toResponse(d)
}

func (s *authorizationService) CheckBatch(ctx context.Context, in *pdpv1.CheckBatchRequest) (*pdpv1.CheckBatchResponse, error) {
	if err := checkBatchWire(in, s.checker.MaxBatch()); err != nil {
		return nil, err
	}
	caller := authn.CallerFromContext(ctx)
	reqs := make([]pdp.Request, len(in.GetChecks()))
	for i, c := range in.GetChecks() {
		reqs[i] = toRequest(c, caller)
	}
	ds, err := s.checker.CheckBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	return batchResponse(ds)
}

func batchResponse(ds []pdp.Decision) (*pdpv1.CheckBatchResponse, error) {
	out := &pdpv1.CheckBatchResponse{Results: make([]*pdpv1.CheckResponse, len(ds))}
	for i, d := range ds {
		r, err := toResponse(d)
		if err != nil {
			return nil, err
		}
		out.Results[i] = r
	}
	return out, nil
}

// checkWire rejects what the domain cannot see: an oversized message. (One
// the codec could not decode never gets here: see wireError.)
func checkWire(in *pdpv1.CheckRequest, prefix string) error {
	if n := proto.Size(in); n > MaxRequestBytes {
		return pdp.InvalidField(prefix+"request", fmt.Sprintf("is %d bytes; at most %d are allowed", n, MaxRequestBytes))
	}
	return nil
}

func checkBatchWire(in *pdpv1.CheckBatchRequest, maxBatch int) error {
	if n := len(in.GetChecks()); n > maxBatch {
		return pdp.InvalidField("checks", fmt.Sprintf("holds %d checks; at most %d are allowed", n, maxBatch))
	}
	for i, c := range in.GetChecks() {
		if err := checkWire(c, fmt.Sprintf("checks[%d].", i)); err != nil {
			return err
		}
	}
	return nil
}

package server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// AuditTrail is what the AuditService reads.
type AuditTrail interface {
	Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error)
	GetEntry(ctx context.Context, decisionID string) (audit.Entry, error)
	After(ctx context.Context, seq int64, limit int) ([]audit.Entry, error)
	Head(ctx context.Context) (int64, error)
	Verify(ctx context.Context) (audit.Report, error)
}

// AuditOptions configure the AuditService.
type AuditOptions struct {
	Trail  AuditTrail
	Logger *slog.Logger
	// Poll is how often TailDecisions looks for new records (default 200ms).
	Poll time.Duration
}

// RegisterAudit serves pdp.v1.AuditService on s. Authorization (only
// --auditors) is the server's Authorizer interceptor's.
func RegisterAudit(s *grpc.Server, opts AuditOptions) {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	pdpv1.RegisterAuditServiceServer(s, &auditService{opts: opts})
}

type auditService struct {
	pdpv1.UnimplementedAuditServiceServer
	opts AuditOptions
}

var _ pdpv1.AuditServiceServer = (*auditService)(nil)

func (a *auditService) QueryDecisions(ctx context.Context, req *pdpv1.QueryDecisionsRequest) (*pdpv1.QueryDecisionsResponse, error) {
	f, page, err := queryFromProto(req)
	if err != nil {
		return nil, err
	}
	entries, next, err := a.opts.Trail.Query(ctx, f, page)
	if err != nil {
		return nil, err
	}
	resp := &pdpv1.QueryDecisionsResponse{NextPageToken: next}
	for _, e := range entries {
		rec, err := RecordToProto(e)
		if err != nil {
			return nil, err
		}
		resp.Records = append(resp.Records, rec)
	}
	return resp, nil
}

func queryFromProto(req *pdpv1.QueryDecisionsRequest) (audit.Filter, audit.Page, error) {
	if req.GetPageSize() < 0 {
		return audit.Filter{}, audit.Page{}, pdp.InvalidField("page_size", "must not be negative")
	}
	if _, err := audit.ParseToken(req.GetPageToken()); err != nil {
		return audit.Filter{}, audit.Page{}, pdp.InvalidField("page_token", "is not a token this server issued")
	}
	f := audit.Filter{
		DecisionID: req.GetDecisionId(), SubjectType: req.GetSubjectType(), SubjectID: req.GetSubjectId(),
		ResourceType: req.GetResourceType(), ResourceID: req.GetResourceId(), Action: req.GetAction(),
		Caller: req.GetCaller(), BundleRevision: req.GetBundleRevision(), Allow: req.Allow,
		Reason: req.GetReason(), Entrypoint: req.GetEntrypoint(), Error: req.GetError(), TraceID: req.GetTraceId(),
	}
	var err1, err2 error
	f.Since, err1 = boundFromProto("since", req.GetSince())
	f.Until, err2 = boundFromProto("until", req.GetUntil())
	if err := cmp.Or(err1, err2); err != nil {
		return audit.Filter{}, audit.Page{}, err
	}
	return f, audit.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}, nil
}

// boundFromProto reads a time bound of a query (absent: the zero time, no
// bound). Records are stored with RFC 3339 times, so a bound must be one:
// a valid timestamp after the first second of year 1 and before year 10000.
func boundFromProto(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	t := ts.AsTime()
	if ts.CheckValid() != nil || !t.After(time.Time{}) {
		return time.Time{}, pdp.InvalidField(field, "must be a time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, exclusive of the first")
	}
	return t, nil
}

func (a *auditService) GetDecision(ctx context.Context, req *pdpv1.GetDecisionRequest) (*pdpv1.GetDecisionResponse, error) {
	if req.GetDecisionId() == "" {
		return nil, pdp.InvalidField("decision_id", "is required")
	}
	e, err := a.opts.Trail.GetEntry(ctx, req.GetDecisionId())
	if errors.Is(err, audit.ErrNotFound) {
		return nil, pdp.Errorf(pdp.CodeNotFound, "no decision %q in the audit trail", req.GetDecisionId())
	}
	if err != nil {
		return nil, err
	}
	rec, err := RecordToProto(e)
	return &pdpv1.GetDecisionResponse{Record: rec}, err
}

func (a *auditService) VerifyTrail(ctx context.Context, _ *pdpv1.VerifyTrailRequest) (*pdpv1.VerifyTrailResponse, error) {
	rep, err := a.opts.Trail.Verify(ctx)
	if err != nil {
		return nil, err
	}
	resp := &pdpv1.VerifyTrailResponse{Ok: rep.Break == nil, Records: rep.Records,
		Checkpoints: int32(rep.Checkpoints), FirstSeq: rep.FirstSeq, LastSeq: rep.LastSeq}
	if b := rep.Break; b != nil {
		resp.BreakSeq, resp.BreakDecisionId, resp.BreakReason = b.Seq, b.DecisionID, b.Reason
	}
	return resp, nil
}

// TailDecisions polls the trail for records after the last one sent.
func (a *auditService) TailDecisions(req *pdpv1.TailDecisionsRequest, stream grpc.ServerStreamingServer[pdpv1.TailDecisionsResponse]) error {
	err := a.tail(stream.Context(), req.GetAfterSeq(), stream.Send)
	if err != nil {
		return toStatus(a.opts.Logger, "/pdp.v1.AuditService/TailDecisions", err)
	}
	return nil
}

func (a *auditService) tail(ctx context.Context, after int64, send func(*pdpv1.TailDecisionsResponse) error) error {
	var err error
	if after <= 0 {
		if after, err = a.opts.Trail.Head(ctx); err != nil {
			return err
		}
	}
	t := time.NewTicker(a.opts.Poll)
	defer t.Stop()
	for {
		if after, err = a.sendAfter(ctx, after, send); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *auditService) sendAfter(ctx context.Context, after int64, send func(*pdpv1.TailDecisionsResponse) error) (int64, error) {
	for {
		entries, err := a.opts.Trail.After(ctx, after, audit.DefaultPageSize)
		if err != nil || len(entries) == 0 {
			return after, err
		}
		for _, e := range entries {
			rec, err := RecordToProto(e)
			if err != nil {
				return after, err
			}
			if err := send(&pdpv1.TailDecisionsResponse{Record: rec}); err != nil {
				return after, err
			}
			after = e.Seq
		}
	}
}

// RecordToProto converts a trail entry to its wire form.
func RecordToProto(e audit.Entry) (*pdpv1.DecisionRecord, error) {
	obligations, err := structpb.NewStruct(e.Obligations)
	if err != nil {
		return nil, err
	}
	input, err := structpb.NewStruct(e.Input)
	if err != nil {
		return nil, err
	}
	plan, err := planToProto(e.Plan)
	if err != nil {
		return nil, err
	}
	return &pdpv1.DecisionRecord{
		Seq: e.Seq, DecisionId: e.DecisionID, Time: timestamppb.New(e.Time), Caller: e.Caller,
		SubjectType: e.SubjectType, SubjectId: e.SubjectID, ResourceType: e.ResourceType, ResourceId: e.ResourceID,
		Action: e.Action, Allow: e.Allow, Reasons: e.Reasons, Obligations: obligations, Input: input,
		BundleRevision: e.BundleRevision, Entrypoint: e.Entrypoint, CacheHit: e.CacheHit,
		LatencyUs: e.Latency.Microseconds(), Error: e.Error, Masked: e.Masked, MaskError: e.MaskError,
		PrevHash: e.PrevHash, Hash: e.Hash, TraceId: e.TraceID, BundleDigest: e.BundleDigest,
		Kind: e.Kind, Plan: plan,
	}, nil
}

// planToProto converts a plan record's answer; nil (a decision) stays unset.
func planToProto(plan map[string]any) (*structpb.Struct, error) {
	if plan == nil {
		return nil, nil
	}
	return structpb.NewStruct(plan)
}

// RecordFromProto is the inverse of RecordToProto (for clients such as the
// pdp audit command).
func RecordFromProto(r *pdpv1.DecisionRecord) audit.Entry {
	return audit.Entry{Seq: r.GetSeq(), PrevHash: r.GetPrevHash(), Hash: r.GetHash(), Record: pdp.Record{
		DecisionID: r.GetDecisionId(), Time: r.GetTime().AsTime(), Caller: r.GetCaller(),
		SubjectType: r.GetSubjectType(), SubjectID: r.GetSubjectId(), ResourceType: r.GetResourceType(),
		ResourceID: r.GetResourceId(), Action: r.GetAction(), Allow: r.GetAllow(), Reasons: r.GetReasons(),
		Obligations: r.GetObligations().AsMap(), Input: r.GetInput().AsMap(), BundleRevision: r.GetBundleRevision(),
		Entrypoint: r.GetEntrypoint(), CacheHit: r.GetCacheHit(), Latency: time.Duration(r.GetLatencyUs()) * time.Microsecond,
		Error: r.GetError(), Masked: r.GetMasked(), MaskError: r.GetMaskError(),
		TraceID: r.GetTraceId(), BundleDigest: r.GetBundleDigest(), Kind: r.GetKind(), Plan: planFromProto(r.GetPlan()),
	}}
}

func planFromProto(plan *structpb.Struct) map[string]any {
	if plan == nil {
		return nil
	}
	return plan.AsMap()
}

// Package decision is the use case of the PDP: validate a request, evaluate
// it, and record the decision in the audit trail before answering. It sees the
// engine, the cache and the audit trail only through the interfaces below.
package decision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Evaluator answers a query; a decision cache wraps one as a decorator.
type Evaluator interface {
	Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error)
}

// Recorder makes records durable; one call is one transaction.
type Recorder interface {
	Write(ctx context.Context, recs []pdp.Record) error
}

// Masker rewrites a record before it is written: the bundle's mask rule
// erases what must never reach the audit trail.
type Masker interface {
	Mask(ctx context.Context, rec *pdp.Record)
}

// Options configures a Service. Clock and NewID default to the wall clock
// and UUIDv7 ids.
type Options struct {
	Evaluator Evaluator
	Recorder  Recorder
	Logger    *slog.Logger
	Clock     func() time.Time
	NewID     func() (string, error)
	// MaxBatch bounds CheckBatch; 0 means 100.
	MaxBatch int
	// Masker masks records before they are written; nil masks nothing.
	Masker Masker
	// Tokens verifies subject tokens (token.go); nil: every token is a deny
	// with reason token_unverifiable.
	Tokens TokenVerifier
	// Observer is told about every audited decision (observe.go); nil: none.
	Observer Observer
	// Targets names the revision and entrypoint of decisions made without
	// evaluation (token.go); nil: the entrypoint the request named.
	Targets Targets
	// Planner answers resource plans (plan.go); nil: Plan is Unavailable.
	Planner Planner
}

// Service decides requests. It is safe for concurrent use.
type Service struct {
	eval     Evaluator
	rec      Recorder
	log      *slog.Logger
	clock    func() time.Time
	newID    func() (string, error)
	maxBatch int
	tokens   TokenVerifier
	masker   Masker
	obs      Observer
	targets  Targets
	planner  Planner
}

// New builds a Service from opts.
func New(opts Options) *Service {
	s := &Service{eval: opts.Evaluator, rec: opts.Recorder, log: opts.Logger,
		clock: opts.Clock, newID: opts.NewID, maxBatch: opts.MaxBatch, tokens: opts.Tokens,
		masker: opts.Masker, obs: opts.Observer, targets: opts.Targets, planner: opts.Planner}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.newID == nil {
		s.newID = newUUIDv7
	}
	if s.maxBatch <= 0 {
		s.maxBatch = 100
	}
	return s
}

// MaxBatch is the largest batch CheckBatch accepts.
func (s *Service) MaxBatch() int { return s.maxBatch }

// Check decides one request and records it. A request that fails validation
// is not a decision: it is rejected and leaves no record.
func (s *Service) Check(ctx context.Context, req pdp.Request) (pdp.Decision, error) {
	ds, err := s.decide(ctx, []pdp.Request{req}, "")
	if err != nil {
		return pdp.Decision{}, err
	}
	return ds[0], nil
}

// CheckBatch decides every request; the records of the batch are committed in
// one transaction. Any invalid item rejects the whole batch, naming the item
// as in "checks[3].action.name".
func (s *Service) CheckBatch(ctx context.Context, reqs []pdp.Request) ([]pdp.Decision, error) {
	if len(reqs) > s.maxBatch {
		return nil, pdp.InvalidField("checks", fmt.Sprintf("holds %d checks; at most %d are allowed", len(reqs), s.maxBatch))
	}
	return s.decide(ctx, reqs, "checks")
}

func (s *Service) decide(ctx context.Context, reqs []pdp.Request, field string) ([]pdp.Decision, error) {
	if err := validateAll(reqs, field); err != nil {
		return nil, err
	}
	start := s.clock()
	ds := make([]pdp.Decision, len(reqs))
	recs := make([]pdp.Record, len(reqs))
	for i, req := range reqs {
		d, rec, err := s.evaluate(ctx, req)
		if err != nil {
			return nil, pdp.WithFieldPrefix(err, itemPrefix(field, i))
		}
		ds[i], recs[i] = d, rec
	}
	if err := s.rec.Write(ctx, recs); err != nil {
		return nil, s.auditFailed(ctx, recs, err)
	}
	s.observed(ctx, reqs, recs, ds, start) // observe.go
	return ds, nil
}

func validateAll(reqs []pdp.Request, field string) error {
	for i, req := range reqs {
		if err := req.Validate(); err != nil {
			return pdp.WithFieldPrefix(err, itemPrefix(field, i))
		}
	}
	return nil
}

func itemPrefix(field string, i int) string {
	if field == "" {
		return ""
	}
	return fmt.Sprintf("%s[%d].", field, i)
}

// evaluate runs one request through the evaluator and builds its record.
func (s *Service) evaluate(ctx context.Context, req pdp.Request) (pdp.Decision, pdp.Record, error) {
	start := s.clock()
	id, err := s.newID()
	if err != nil {
		return pdp.Decision{}, pdp.Record{}, fmt.Errorf("new decision id: %w", err)
	}
	req, denied, err := s.verifyToken(ctx, id, req)
	if err != nil {
		return pdp.Decision{}, pdp.Record{}, err
	}
	input := req.Input(start)
	res, err := s.result(ctx, req, input, denied)
	if err != nil {
		return pdp.Decision{}, pdp.Record{}, err
	}
	rec := newRecord(id, start, req, input, res)
	rec.Latency = s.clock().Sub(start)
	rec.TraceID = traceID(ctx)
	if s.masker != nil {
		s.masker.Mask(ctx, &rec)
	}
	if rec.Error != "" { // logged once masked: the error may quote the input
		s.log.Warn("evaluation error", "decision_id", id, "trace_id", rec.TraceID, "bundle_revision", res.BundleRevision, "error", rec.Error)
	}
	return pdp.Decision{ID: id, Result: res}, rec, nil
}

// result evaluates req, or completes the deny that replaced evaluation.
func (s *Service) result(ctx context.Context, req pdp.Request, input map[string]any, denied *pdp.Result) (pdp.Result, error) {
	if denied != nil {
		return s.targeted(*denied, req.Policy)
	}
	return s.eval.Evaluate(ctx, pdp.Query{Entrypoint: req.Policy, Input: input, Explain: req.Explain})
}

func (s *Service) auditFailed(ctx context.Context, recs []pdp.Record, err error) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.DecisionID
	}
	s.log.Error("audit write failed; decisions withheld", "decision_ids", ids, "trace_id", traceID(ctx), "error", err)
	if pdp.ErrorCode(err) == pdp.CodeUnavailable {
		return err
	}
	return pdp.Unavailable("audit store unavailable", err)
}

func newRecord(id string, t time.Time, req pdp.Request, input map[string]any, res pdp.Result) pdp.Record {
	return pdp.Record{
		DecisionID: id, Time: t.UTC(), Caller: req.Caller,
		SubjectType: req.Subject.Type, SubjectID: req.Subject.ID,
		ResourceType: req.Resource.Type, ResourceID: req.Resource.ID, Action: req.Action.Name,
		Allow: res.Allow, Reasons: res.Reasons, Obligations: res.Obligations, Input: input,
		BundleRevision: res.BundleRevision, BundleDigest: res.BundleDigest, Entrypoint: res.Entrypoint, CacheHit: res.CacheHit,
		Error: res.Err,
	}
}

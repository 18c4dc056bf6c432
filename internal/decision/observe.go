package decision

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Span names of a decision; with the gRPC server span they make one trace
// per Check: the cache lookup, the evaluation (on a miss) and the audit
// write are its children.
const (
	SpanCacheLookup = "pdp.cache.lookup"
	SpanEvaluate    = "pdp.evaluate"
	SpanAuditWrite  = "pdp.audit.write"
)

// Observer is told about every decision once its audit record is
// committed: metrics and the deny-spike alarm.
type Observer interface {
	Decided(ctx context.Context, req pdp.Request, d pdp.Decision, elapsed time.Duration)
}

// traceID is the hex trace id of ctx's span, "" when none.
func traceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}

// observed logs each decision at debug level (no input; subject, caller
// and action as recorded, so masked) and tells the observer.
func (s *Service) observed(ctx context.Context, reqs []pdp.Request, recs []pdp.Record, ds []pdp.Decision, start time.Time) {
	elapsed := s.clock().Sub(start)
	debug := s.log.Enabled(ctx, slog.LevelDebug)
	for i, d := range ds {
		if debug {
			s.log.Debug("decision", "decision_id", d.ID, "trace_id", traceID(ctx), "bundle_revision", d.BundleRevision,
				"subject", recs[i].SubjectID, "caller", recs[i].Caller, "action", recs[i].Action,
				"allow", d.Allow, "cache_hit", d.CacheHit, "reasons", d.Reasons)
		}
		if s.obs != nil {
			s.obs.Decided(ctx, reqs[i], d, elapsed)
		}
	}
}

// lookupKey carries the open cache lookup span down to the evaluation.
type lookupKey struct{}

type lookup struct {
	parent trace.Span
	span   trace.Span
	ended  atomic.Bool
}

// end closes the lookup span once.
func (l *lookup) end(outcome string) {
	if l.ended.CompareAndSwap(false, true) {
		l.span.SetAttributes(attribute.String("pdp.cache.outcome", outcome))
		l.span.End()
	}
}

// TraceLookup wraps the decision cache: its span covers the lookup. When
// the cache evaluates (a miss), TraceEvaluation ends the lookup span and
// starts the evaluation span beside it, so both are children of the
// request's span.
func TraceLookup(cache Evaluator, tp trace.TracerProvider) Evaluator {
	return &tracedLookup{next: cache, tracer: tp.Tracer("github.com/pdp-project/pdp/internal/decision")}
}

type tracedLookup struct {
	next   Evaluator
	tracer trace.Tracer
}

func (t *tracedLookup) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	l := &lookup{parent: trace.SpanFromContext(ctx)}
	ctx, l.span = t.tracer.Start(ctx, SpanCacheLookup)
	res, err := t.next.Evaluate(context.WithValue(ctx, lookupKey{}, l), q)
	switch {
	case err != nil:
		l.end("error")
	case res.CacheHit:
		l.end("hit")
	default:
		l.end("shared") // another caller's evaluation answered
	}
	return res, err
}

// TraceEvaluation wraps the engine with the evaluation span.
func TraceEvaluation(engine Evaluator, tp trace.TracerProvider) Evaluator {
	return &tracedEvaluation{next: engine, tracer: tp.Tracer("github.com/pdp-project/pdp/internal/decision")}
}

type tracedEvaluation struct {
	next   Evaluator
	tracer trace.Tracer
}

func (t *tracedEvaluation) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	if l, ok := ctx.Value(lookupKey{}).(*lookup); ok {
		l.end("miss")
		ctx = trace.ContextWithSpan(ctx, l.parent)
	}
	ctx, span := t.tracer.Start(ctx, SpanEvaluate)
	defer span.End()
	res, err := t.next.Evaluate(ctx, q)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return res, err
	}
	span.SetAttributes(attribute.Bool("pdp.allow", res.Allow), attribute.String("pdp.bundle_revision", res.BundleRevision),
		attribute.String("pdp.entrypoint", res.Entrypoint))
	if res.Err != "" { // the error may quote input the mask rule hides: the record has it
		span.SetStatus(codes.Error, "evaluation error; the audit record holds it")
	}
	return res, nil
}

// TraceRecorder wraps the audit recorder with the audit write span.
func TraceRecorder(rec Recorder, tp trace.TracerProvider) Recorder {
	return &tracedRecorder{next: rec, tracer: tp.Tracer("github.com/pdp-project/pdp/internal/decision")}
}

type tracedRecorder struct {
	next   Recorder
	tracer trace.Tracer
}

func (t *tracedRecorder) Write(ctx context.Context, recs []pdp.Record) error {
	ctx, span := t.tracer.Start(ctx, SpanAuditWrite, trace.WithAttributes(attribute.Int("pdp.audit.records", len(recs))))
	defer span.End()
	err := t.next.Write(ctx, recs)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

var (
	_ Evaluator = (*tracedLookup)(nil)
	_ Evaluator = (*tracedEvaluation)(nil)
	_ Recorder  = (*tracedRecorder)(nil)
)

package decision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Planner answers resource plans: which resources of a type the input's
// subject may act on, with the resource's id and attributes unknown.
type Planner interface {
	PlanResources(ctx context.Context, q pdp.PlanQuery) (pdp.ResourcePlan, error)
}

// errNoPlanner answers plans on a Service built without a Planner.
var errNoPlanner = errors.New("no resource planner is configured")

// Plan answers which resources of req.Resource.Type the subject may perform
// req.Action on, with the id of the plan's audit record. The record is
// written before the answer: when it cannot be, the caller gets Unavailable. Only the
// resource's type is read; its id and attributes are the unknowns of the
// plan. A subject token is verified as Check verifies it; a refused token
// plans PlanAlwaysDenied, recorded with the token's reason. A request that
// fails validation, or a plan the engine refuses, leaves no record.
func (s *Service) Plan(ctx context.Context, req pdp.Request) (plan pdp.ResourcePlan, id string, err error) {
	if err := ValidatePlan(req); err != nil {
		return pdp.ResourcePlan{}, "", err
	}
	if s.planner == nil {
		return pdp.ResourcePlan{}, "", pdp.Unavailable("resource plans are not served", errNoPlanner)
	}
	start := s.clock()
	if id, err = s.newID(); err != nil {
		return pdp.ResourcePlan{}, "", fmt.Errorf("new decision id: %w", err)
	}
	req, denied, err := s.verifyToken(ctx, id, req)
	if err != nil {
		return pdp.ResourcePlan{}, "", err
	}
	q := PlanQueryOf(req, start)
	if plan, err = s.planned(ctx, q, req.Policy, denied); err != nil {
		return pdp.ResourcePlan{}, "", err
	}
	if err := s.recordPlan(ctx, id, start, req, q, plan, denied); err != nil {
		return pdp.ResourcePlan{}, "", err
	}
	return plan, id, nil
}

// planned asks the planner, or answers the deny of a refused token for the
// revision and entrypoint the planner would have used.
func (s *Service) planned(ctx context.Context, q pdp.PlanQuery, policy string, denied *pdp.Result) (pdp.ResourcePlan, error) {
	if denied == nil {
		plan, err := s.planner.PlanResources(ctx, q)
		if err != nil {
			return pdp.ResourcePlan{}, err
		}
		return plan, checkPlan(plan)
	}
	res, err := s.targeted(*denied, policy)
	if err != nil {
		return pdp.ResourcePlan{}, err
	}
	return pdp.ResourcePlan{Kind: pdp.PlanAlwaysDenied, BundleRevision: res.BundleRevision, Entrypoint: res.Entrypoint}, nil
}

// checkPlan refuses an answer that breaks the planner's contract: a plan
// of no kind, or a conditional plan without a condition. It is a bug, never
// an answer.
func checkPlan(plan pdp.ResourcePlan) error {
	switch {
	case plan.Kind < pdp.PlanAlwaysAllowed || plan.Kind > pdp.PlanConditional:
		return fmt.Errorf("planner answered a plan of kind %s", plan.Kind)
	case plan.Kind == pdp.PlanConditional && plan.Condition == nil:
		return errors.New("planner answered a conditional plan without a condition")
	}
	return nil
}

// recordPlan builds, masks and writes the record of a plan.
func (s *Service) recordPlan(ctx context.Context, id string, start time.Time, req pdp.Request, q pdp.PlanQuery,
	plan pdp.ResourcePlan, denied *pdp.Result) error {
	rec, err := newPlanRecord(id, start, req, q, plan)
	if err != nil {
		return err
	}
	if denied != nil {
		rec.Reasons, rec.Error = denied.Reasons, denied.Err
	}
	rec.Latency = s.clock().Sub(start)
	rec.TraceID = traceID(ctx)
	if s.masker != nil {
		s.masker.Mask(ctx, &rec)
	}
	if err := s.rec.Write(ctx, []pdp.Record{rec}); err != nil {
		return s.auditFailed(ctx, []pdp.Record{rec}, err)
	}
	return nil
}

// ValidatePlan checks a plan request as Check checks a request, naming the
// resource type "resource_type" as the plan request does. The resource's
// id and attributes are not read.
func ValidatePlan(req pdp.Request) error {
	req.Resource = pdp.Resource{Type: req.Resource.Type}
	if req.Resource.Type == "" {
		return pdp.InvalidField("resource_type", "is required")
	}
	err := req.Validate()
	var e *pdp.Error
	if errors.As(err, &e) && e.Field == "resource.type" {
		c := *e
		c.Field = "resource_type"
		return &c
	}
	return err
}

// PlanQueryOf builds the query the planner is asked for req at now: the
// input Check would see, environment.time filled the same way, with
// input.resource holding only the requested type.
func PlanQueryOf(req pdp.Request, now time.Time) pdp.PlanQuery {
	req.Resource = pdp.Resource{Type: req.Resource.Type}
	input := req.Input(now)
	input["resource"] = map[string]any{"type": req.Resource.Type}
	return pdp.PlanQuery{Entrypoint: req.Policy, Input: input, ResourceType: req.Resource.Type}
}

// newPlanRecord is the audit record of a plan: the known part of the input
// and the plan as JSON values.
func newPlanRecord(id string, t time.Time, req pdp.Request, q pdp.PlanQuery, plan pdp.ResourcePlan) (pdp.Record, error) {
	answer, err := PlanJSON(plan)
	if err != nil {
		return pdp.Record{}, fmt.Errorf("record plan %s: %w", id, err)
	}
	return pdp.Record{
		DecisionID: id, Time: t.UTC(), Caller: req.Caller, Kind: pdp.RecordKindPlan, Plan: answer,
		SubjectType: req.Subject.Type, SubjectID: req.Subject.ID, ResourceType: q.ResourceType,
		Action: req.Action.Name, Input: q.Input, BundleRevision: plan.BundleRevision,
		BundleDigest: plan.BundleDigest, Entrypoint: plan.Entrypoint,
	}, nil
}

// PlanJSON is a plan's answer as JSON values: {"kind": "conditional",
// "condition": {...}} (the condition in its JSON form, present only when
// there is one).
func PlanJSON(plan pdp.ResourcePlan) (map[string]any, error) {
	out := map[string]any{"kind": plan.Kind.String()}
	if plan.Condition == nil {
		return out, nil
	}
	b, err := json.Marshal(plan.Condition)
	if err != nil {
		return nil, fmt.Errorf("encode condition: %w", err)
	}
	var cond any
	if err := json.Unmarshal(b, &cond); err != nil {
		return nil, fmt.Errorf("decode condition: %w", err)
	}
	out["condition"] = cond
	return out, nil
}

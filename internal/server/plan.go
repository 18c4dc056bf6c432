package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Planner is the resource plan use case as the handler needs it: the plan
// and the id of its audit record.
type Planner interface {
	Plan(ctx context.Context, req pdp.Request) (plan pdp.ResourcePlan, id string, err error)
}

// WhereFunc writes a plan as a SQL WHERE clause of dialect ("sqlite" or
// "postgres") with placeholders, and the values of the placeholders in
// order; columns maps field paths to column names.
type WhereFunc func(kind pdp.PlanKind, c *pdp.Condition, dialect string, columns map[string]string) (string, []any, error)

// SQL dialects a plan can be written in.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// errNoPlans answers PlanResources on a server built without a planner.
var errNoPlans = errors.New("resource plans are not served")

// PlanResources answers which resources of a type the subject may act on.
// The SQL options are checked before planning, so a request refused for
// them leaves no record.
func (s *authorizationService) PlanResources(ctx context.Context, in *pdpv1.PlanResourcesRequest) (*pdpv1.PlanResourcesResponse, error) {
	if err := checkPlanWire(in); err != nil {
		return nil, err
	}
	if s.planner == nil || (in.GetSqlDialect() != "" && s.where == nil) {
		return nil, pdp.Unavailable("resource plans are not served", errNoPlans)
	}
	plan, id, err := s.planner.Plan(ctx, ToPlanRequest(in, authn.CallerFromContext(ctx)))
	if err != nil {
		return nil, err
	}
	return PlanResponse(plan, id, s.where, in.GetSqlDialect(), in.GetColumns())
}

// checkPlanWire refuses an oversized request and SQL options that cannot be
// written: an unknown dialect, a column for anything but a resource field,
// an empty column name.
func checkPlanWire(in *pdpv1.PlanResourcesRequest) error {
	if n := proto.Size(in); n > MaxRequestBytes {
		return pdp.InvalidField("request", fmt.Sprintf("is %d bytes; at most %d are allowed", n, MaxRequestBytes))
	}
	return CheckSQLOptions(in.GetSqlDialect(), in.GetColumns())
}

// CheckSQLOptions checks sql_dialect and columns as PlanResources does:
// the dialect is "", "sqlite" or "postgres"; columns are given only with a
// dialect, each for resource.id or resource.attributes.NAME, each named.
func CheckSQLOptions(dialect string, columns map[string]string) error {
	switch dialect {
	case "", DialectSQLite, DialectPostgres:
	default:
		return pdp.InvalidField("sql_dialect", fmt.Sprintf("is %q; want %q, %q or empty", dialect, DialectSQLite, DialectPostgres))
	}
	if dialect == "" && len(columns) > 0 {
		return pdp.InvalidField("columns", "are given without sql_dialect")
	}
	for field, col := range columns {
		if err := checkColumn(field, col); err != nil {
			return err
		}
	}
	return nil
}

func checkColumn(field, col string) error {
	name := fmt.Sprintf("columns[%q]", field)
	switch {
	case field != "resource.id" && !isAttributePath(field):
		return pdp.InvalidField(name, "is not a resource field; want resource.id or resource.attributes.NAME")
	case col == "":
		return pdp.InvalidField(name, "names no column")
	case strings.ContainsRune(col, 0):
		return pdp.InvalidField(name, "holds a NUL character")
	}
	return nil
}

func isAttributePath(field string) bool {
	name, ok := strings.CutPrefix(field, "resource.attributes.")
	return ok && name != ""
}

// PlanResponse converts a plan into its wire form; with a dialect, where
// writes its SQL. A plan where cannot write is refused as the plan would
// be (its coded error), or FailedPrecondition.
func PlanResponse(plan pdp.ResourcePlan, id string, where WhereFunc, dialect string, columns map[string]string) (*pdpv1.PlanResourcesResponse, error) {
	out := &pdpv1.PlanResourcesResponse{Kind: toPlanKind(plan.Kind), DecisionId: id, BundleRevision: plan.BundleRevision}
	if plan.Kind == pdp.PlanConditional {
		c, err := ToCondition(plan.Condition)
		if err != nil {
			return nil, fmt.Errorf("encode the condition of plan %s: %w", id, err)
		}
		out.Condition = c
	}
	if dialect == "" {
		return out, nil
	}
	sql, args, err := where(plan.Kind, plan.Condition, dialect, columns)
	if err != nil {
		return nil, sqlError(id, err)
	}
	out.Sql = sql
	if out.SqlArgs, err = structpb.NewList(args); err != nil {
		return nil, fmt.Errorf("encode the SQL arguments of plan %s: %w", id, err)
	}
	return out, nil
}

// sqlError keeps a coded error of the SQL writer; any other is a plan it
// cannot write exactly.
func sqlError(id string, err error) error {
	if pdp.ErrorCode(err) != pdp.CodeInternal {
		return err
	}
	return &pdp.Error{Code: pdp.CodeFailedPrecondition, Msg: "the plan " + id + " cannot be written as SQL", Err: err}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/plansql"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/strictjson"
)

// planUsage is the synopsis of pdp plan.
const planUsage = "pdp plan --bundle PATH --input FILE [--sql sqlite|postgres] [--column FIELD=COLUMN]..."

// planOutput is what pdp plan prints: the plan in the JSON form of the
// audit record, with the SQL when a dialect was asked for.
type planOutput struct {
	Kind           string         `json:"kind"`
	Condition      *pdp.Condition `json:"condition,omitempty"`
	SQL            *string        `json:"sql,omitempty"`
	SQLArgs        *[]any         `json:"sql_args,omitempty"`
	BundleRevision string         `json:"bundle_revision"`
	Entrypoint     string         `json:"entrypoint"`
}

// planFlags are the options of pdp plan.
type planFlags struct {
	bundle, input, dialect string
	columns                columnFlag
}

// runPlan is pdp plan: which resources of a type a subject may act on,
// offline, as PlanResources answers it; with --sql also as a WHERE clause.
// A plan the bundle cannot express exactly fails (exit 1) naming the rule
// and the expression.
func runPlan(ctx context.Context, e env, args []string) error {
	o, err := parsePlanFlags(e, args)
	if err != nil {
		return err
	}
	in, err := readPlanInput(o)
	if err != nil {
		return err
	}
	req := server.ToPlanRequest(in, "")
	if err := decision.ValidatePlan(req); err != nil {
		return usagef("--input %s: %v", o.input, err)
	}
	if err := existing("--bundle", o.bundle); err != nil {
		return err
	}
	plan, err := planOffline(ctx, o.bundle, req)
	if err != nil {
		return err
	}
	out, err := newPlanOutput(plan, in.GetSqlDialect(), in.GetColumns())
	if err != nil {
		return err
	}
	return printPlan(e, out)
}

func parsePlanFlags(e env, args []string) (planFlags, error) {
	var o planFlags
	fs := newFlagSet("plan", e)
	fs.StringVar(&o.bundle, "bundle", "", "bundle `path`: a directory or .tar.gz (required)")
	fs.StringVar(&o.input, "input", "", "`file` with a PlanResourcesRequest in JSON: subject, resource_type, action, environment, policy (required)")
	fs.StringVar(&o.dialect, "sql", "", "also print the plan as a SQL WHERE clause in this `dialect`: sqlite or postgres")
	fs.Var(&o.columns, "column", "`FIELD=COLUMN`: the column of a field path (resource.id, resource.attributes.NAME) in the SQL; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch {
	case o.bundle == "" || o.input == "" || fs.NArg() > 0:
		return o, usagef("usage: %s", planUsage)
	case o.dialect != "" && o.dialect != server.DialectSQLite && o.dialect != server.DialectPostgres:
		return o, usagef("--sql %q: want sqlite or postgres", o.dialect)
	}
	return o, nil
}

// readPlanInput reads --input and lays the flags over it: --sql replaces
// its sql_dialect, each --column sets one of its columns.
func readPlanInput(o planFlags) (*pdpv1.PlanResourcesRequest, error) {
	data, err := os.ReadFile(o.input)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--input %s: no such file", o.input)
	}
	if err != nil {
		return nil, err
	}
	in := &pdpv1.PlanResourcesRequest{}
	if err := strictjson.Check(data); err != nil {
		return nil, usagef("--input %s: %v", o.input, err)
	}
	if err := protojson.Unmarshal(data, in); err != nil {
		return nil, usagef("--input %s: not a PlanResourcesRequest in JSON: %v", o.input, err)
	}
	if o.dialect != "" {
		in.SqlDialect = o.dialect
	}
	for field, col := range o.columns {
		if in.Columns == nil {
			in.Columns = map[string]string{}
		}
		in.Columns[field] = col
	}
	if err := server.CheckSQLOptions(in.GetSqlDialect(), in.GetColumns()); err != nil {
		return nil, usagef("%v (set them with --sql and --column)", err)
	}
	return in, nil
}

// planOffline plans req against the bundle at path, with the server's
// defaults (environment.time now).
func planOffline(ctx context.Context, path string, req pdp.Request) (pdp.ResourcePlan, error) {
	eng, err := authoring.Open(ctx, path)
	if err != nil {
		return pdp.ResourcePlan{}, err
	}
	plan, err := eng.PlanResources(ctx, decision.PlanQueryOf(req, time.Now()))
	if pdp.ErrorCode(err) == pdp.CodeInvalidArgument {
		return plan, usageError{err}
	}
	return plan, err
}

func newPlanOutput(plan pdp.ResourcePlan, dialect string, columns map[string]string) (planOutput, error) {
	out := planOutput{Kind: plan.Kind.String(), BundleRevision: plan.BundleRevision, Entrypoint: plan.Entrypoint}
	if plan.Kind == pdp.PlanConditional {
		out.Condition = plan.Condition
	}
	if dialect == "" {
		return out, nil
	}
	sql, args, err := plansql.Where(plan.Kind, plan.Condition, dialect, columns)
	if err != nil {
		return out, fmt.Errorf("the plan cannot be written as SQL: %w", err)
	}
	if args == nil {
		args = []any{}
	}
	out.SQL, out.SQLArgs = &sql, &args
	return out, nil
}

func printPlan(e env, v planOutput) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false) // the SQL's < and > as they are
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode the plan: %w", err)
	}
	return nil
}

// columnFlag is the repeatable --column FIELD=COLUMN.
type columnFlag map[string]string

func (c *columnFlag) String() string {
	if c == nil || *c == nil {
		return ""
	}
	pairs := make([]string, 0, len(*c))
	for f, col := range *c {
		pairs = append(pairs, f+"="+col)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func (c *columnFlag) Set(s string) error {
	field, col, ok := strings.Cut(s, "=")
	if !ok || field == "" || col == "" {
		return errors.New("want FIELD=COLUMN, such as resource.attributes.owner=owner_id")
	}
	if *c == nil {
		*c = columnFlag{}
	}
	(*c)[field] = col
	return nil
}

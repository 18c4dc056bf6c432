package plansql_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/plansql"
)

func field(f string) pdp.Operand { return pdp.Operand{Field: f} }
func lit(v any) pdp.Operand      { return pdp.Operand{Value: v} }

func cmp(op pdp.Op, f string, v any) *pdp.Condition {
	return &pdp.Condition{Op: op, Operands: []pdp.Operand{field(f), lit(v)}}
}

func TestWhere(t *testing.T) {
	owner := "resource.attributes.owner"
	tests := []struct {
		name    string
		kind    pdp.PlanKind
		cond    *pdp.Condition
		dialect string
		columns map[string]string
		sql     string
		args    []any
	}{
		{"always sqlite", pdp.PlanAlwaysAllowed, nil, "sqlite", nil, "1", []any{}},
		{"never sqlite", pdp.PlanAlwaysDenied, nil, "sqlite", nil, "0", []any{}},
		{"always postgres", pdp.PlanAlwaysAllowed, nil, "postgres", nil, "TRUE", []any{}},
		{"never postgres", pdp.PlanAlwaysDenied, nil, "postgres", nil, "FALSE", []any{}},
		{"string eq sqlite", pdp.PlanConditional, cmp(pdp.OpEq, owner, "alice"), "sqlite", nil,
			`(typeof("owner") = 'text' AND "owner" COLLATE BINARY = ?)`, []any{"alice"}},
		{"number gt sqlite: strings order after numbers", pdp.PlanConditional, cmp(pdp.OpGt, "resource.attributes.level", 2.0), "sqlite", nil,
			`((typeof("level") IN ('integer','real') AND "level" > ?) OR typeof("level") = 'text')`, []any{2.0}},
		{"boolean eq sqlite holds for no row", pdp.PlanConditional, cmp(pdp.OpEq, owner, true), "sqlite", nil, "0", []any{}},
		{"id postgres", pdp.PlanConditional, cmp(pdp.OpNe, "resource.id", "d1"), "postgres", nil,
			`(CASE WHEN "id" IS NULL THEN FALSE WHEN pg_typeof("id") IN ('boolean'::regtype) THEN TRUE WHEN pg_typeof("id") IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'real'::regtype, 'double precision'::regtype, 'numeric'::regtype) THEN TRUE WHEN pg_typeof("id") IN ('text'::regtype, 'character varying'::regtype) THEN "id"::text COLLATE "C" <> $1::text ELSE FALSE END)`,
			[]any{"d1"}},
		{"column override quoted", pdp.PlanConditional, &pdp.Condition{Op: pdp.OpExists, Operands: []pdp.Operand{field(owner)}}, "sqlite",
			map[string]string{owner: `own"er`}, `("own""er" IS NOT NULL)`, []any{}},
		{"and not in", pdp.PlanConditional, &pdp.Condition{Op: pdp.OpAnd, Args: []pdp.Condition{
			{Op: pdp.OpNot, Args: []pdp.Condition{*cmp(pdp.OpIn, "resource.attributes.dept", []any{"eng", 1.0, "ops"})}},
			{Op: pdp.OpExists, Operands: []pdp.Operand{field("resource.attributes.dept")}},
		}}, "sqlite", nil,
			`(NOT (((typeof("dept") IN ('integer','real') AND "dept" IN (?)) OR (typeof("dept") = 'text' AND "dept" COLLATE BINARY IN (?, ?)))) AND ("dept" IS NOT NULL))`,
			[]any{1.0, "eng", "ops"}},
		{"nested attribute column", pdp.PlanConditional, cmp(pdp.OpLt, "resource.attributes.meta.level", "m"), "postgres", nil,
			`(CASE WHEN "meta.level" IS NULL THEN FALSE WHEN pg_typeof("meta.level") IN ('boolean'::regtype) THEN TRUE WHEN pg_typeof("meta.level") IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'real'::regtype, 'double precision'::regtype, 'numeric'::regtype) THEN TRUE WHEN pg_typeof("meta.level") IN ('text'::regtype, 'character varying'::regtype) THEN "meta.level"::text COLLATE "C" < $1::text ELSE FALSE END)`,
			[]any{"m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, err := plansql.Where(tt.kind, tt.cond, tt.dialect, tt.columns)
			if err != nil || sql != tt.sql || !reflect.DeepEqual(args, tt.args) {
				t.Errorf("Where = %s %v %v\nwant    %s %v", sql, args, err, tt.sql, tt.args)
			}
		})
	}
}

func TestWhereRejects(t *testing.T) {
	owner := cmp(pdp.OpEq, "resource.attributes.owner", "alice")
	tests := []struct {
		name    string
		dialect string
		cond    *pdp.Condition
		columns map[string]string
		field   string // of the InvalidArgument
		want    string
	}{
		{"unknown dialect", "mysql", owner, nil, "sql_dialect", `unknown SQL dialect "mysql"`},
		{"empty column", "sqlite", owner, map[string]string{"resource.attributes.owner": ""}, "columns", "not usable"},
		{"not a resource field", "sqlite", owner, map[string]string{"subject.id": "s"}, "columns", `"subject.id" is not a resource field`},
		{"field without column", "postgres", cmp(pdp.OpEq, "resource.type", "doc"), nil, "columns", `field "resource.type" has no column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := plansql.Where(pdp.PlanConditional, tt.cond, tt.dialect, tt.columns)
			e, ok := err.(*pdp.Error)
			if !ok || e.Code != pdp.CodeInvalidArgument || e.Field != tt.field || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("Where error = %v; want invalid argument on %s saying %q", err, tt.field, tt.want)
			}
		})
	}
	if _, _, err := plansql.Where(pdp.PlanConditional, nil, "sqlite", nil); err == nil {
		t.Error("a conditional plan without a condition: want an error")
	}
}

package plansql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	_ "modernc.org/sqlite"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/plansql"
	"github.com/pdp-project/pdp/internal/plansql/plantest"
)

// The differential tests: for every row of real SQLite and PostgreSQL
// tables, the plan's WHERE clause selects the row if and only if the engine
// (Check's evaluation) allows that resource.

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var dialects = []string{plansql.SQLite, plansql.Postgres}

// rowCount is the table size: at least 1,000 rows, fewer under -short.
func rowCount() int {
	if testing.Short() {
		return 300
	}
	return 1200
}

// newTable builds a table of n resources drawn from pools in dialect's
// database: SQLite mixes strings and numbers in a column, PostgreSQL gives
// each column one type drawn with rng (booleans too).
func newTable(t *testing.T, dialect string, rng *rand.Rand, pools plantest.Pools, n int) *plantest.Table {
	t.Helper()
	var db *sql.DB
	var err error
	cols := plantest.Columns{}
	if dialect == plansql.SQLite {
		db, err = sql.Open("sqlite", filepath.Join(t.TempDir(), "resources.db"))
	} else {
		url := pgtest.NewDatabase(t)
		db, err = sql.Open("pgx", url)
		cols = plantest.TypedColumns(rng, pools)
	}
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	rows := plantest.Resources(rng, n, pools, cols)
	return plantest.NewTable(t, db, dialect, "resources", pools.Names(), cols, rng, rows)
}

// checkSQL asserts that the plan's SQL selects exactly the rows Evaluate
// allows, and returns how many it selects.
func checkSQL(t *testing.T, e *engine.Engine, q pdp.PlanQuery, plan pdp.ResourcePlan, tb *plantest.Table) int {
	t.Helper()
	where, args, err := plansql.Where(plan.Kind, plan.Condition, tb.Dialect, nil)
	if err != nil {
		t.Fatalf("Where: %v", err)
	}
	ids, err := tb.Select(context.Background(), where, args)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tb.Rows {
		res, err := e.Evaluate(context.Background(), pdp.Query{Entrypoint: q.Entrypoint, Input: plantest.Input(q.Input, q.ResourceType, r)})
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		if res.Allow != ids[r.ID] {
			cond, _ := json.Marshal(plan.Condition)
			t.Fatalf("%s row %s %v: selected %v, Evaluate allows %v (%v)\nrequest %v\nplan %v %s\nWHERE %s %v",
				tb.Dialect, r.ID, r.Attrs, ids[r.ID], res.Allow, res.Reasons, q.Input, plan.Kind, cond, where, args)
		}
	}
	return len(ids)
}

func exampleEngine(t testing.TB) *engine.Engine {
	t.Helper()
	b, err := bundle.NewCustomReader(bundle.NewDirectoryLoader("../../bundles/example")).Read()
	if err != nil {
		t.Fatalf("read bundles/example: %v", err)
	}
	e := engine.New(engine.Options{})
	if _, err := e.Activate(context.Background(), map[string]*bundle.Bundle{"example": &b}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExamplePlansSelectExactlyTheAllowedRows(t *testing.T) {
	requests := 40
	if testing.Short() {
		requests = 10
	}
	e := exampleEngine(t)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			tb := newTable(t, dialect, rng, plantest.ExamplePools(), rowCount())
			conditional, selected := 0, 0
			for i := 0; i < requests; i++ {
				base, typ := plantest.ExampleRequest(rng)
				q := pdp.PlanQuery{Input: base, ResourceType: typ}
				plan, err := e.PlanResources(context.Background(), q)
				if err != nil {
					t.Fatalf("plan %v: %v", base, err)
				}
				if plan.Kind == pdp.PlanConditional {
					conditional++
				}
				selected += checkSQL(t, e, q, plan, tb)
			}
			if conditional == 0 || selected == 0 {
				t.Errorf("%d conditional plans selected %d rows: the draw exercised nothing", conditional, selected)
			}
		})
	}
}

func TestGeneratedPlansSelectExactlyTheAllowedRows(t *testing.T) {
	policies, requests := 60, 3
	if testing.Short() {
		policies, requests = 15, 2
	}
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			rng := rand.New(rand.NewSource(4))
			tb := newTable(t, dialect, rng, plantest.GenPools(), rowCount())
			planned, refused := 0, 0
			for i := 0; i < policies; i++ {
				src := plantest.GenPolicy(rng, true)
				e := genEngine(t, src)
				for j := 0; j < requests; j++ {
					base, typ := plantest.GenRequest(rng)
					q := pdp.PlanQuery{Input: base, ResourceType: typ}
					plan, err := e.PlanResources(context.Background(), q)
					if err != nil {
						if pdp.ErrorCode(err) != pdp.CodeFailedPrecondition {
							t.Fatalf("plan: %v\n%s", err, src)
						}
						refused++
						continue
					}
					planned++
					t.Run("", func(t *testing.T) {
						defer logPolicyOnFailure(t, src)
						checkSQL(t, e, q, plan, tb)
					})
				}
			}
			t.Logf("%d plans checked, %d refused", planned, refused)
		})
	}
}

func logPolicyOnFailure(t *testing.T, src string) {
	if t.Failed() {
		t.Logf("policy:\n%s", src)
	}
}

// genEngine activates one generated policy.
func genEngine(t *testing.T, src string) *engine.Engine {
	t.Helper()
	parsed, err := ast.ParseModuleWithOpts("gen.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	b := &bundle.Bundle{
		Manifest: bundle.Manifest{Revision: "gen", Roots: &[]string{"gen"}, Metadata: map[string]any{"entrypoint": plantest.GenEntrypoint}},
		Modules:  []bundle.ModuleFile{{URL: "gen.rego", Path: "gen.rego", Raw: []byte(src), Parsed: parsed}},
		Data:     map[string]any{},
	}
	e := engine.New(engine.Options{})
	if _, err := e.Activate(context.Background(), map[string]*bundle.Bundle{"gen": b}); err != nil {
		t.Fatalf("activate: %v\n%s", err, src)
	}
	return e
}

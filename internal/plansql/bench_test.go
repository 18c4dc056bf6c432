package plansql_test

import (
	"context"
	"database/sql"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/plansql"
	"github.com/pdp-project/pdp/internal/plansql/plantest"
)

// BenchmarkListAllowed lists the rows of a SQLite table of example
// resources that alice may read: with the plan (PlanResources, Where, one
// SELECT) against a Check per row (read every row, Evaluate it). The table
// has PDP_PLAN_BENCH_ROWS rows (default 100,000; the figure to report is
// at 1,000,000). Both must find the same rows.
func BenchmarkListAllowed(b *testing.B) {
	n := 100_000
	if s := os.Getenv("PDP_PLAN_BENCH_ROWS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 {
			b.Fatalf("PDP_PLAN_BENCH_ROWS=%q: want a positive number", s)
		}
	}
	tb := benchTable(b, n)
	e := exampleEngine(b)
	q := pdp.PlanQuery{ResourceType: "document", Input: map[string]any{
		"subject":     map[string]any{"type": "user", "id": "alice", "roles": []any{}, "attributes": map[string]any{"department": "eng", "clearance": 2.0}},
		"action":      map[string]any{"name": "read", "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller":      map[string]any{},
	}}
	want := -1
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			want = listByPlan(b, e, q, tb)
		}
		b.ReportMetric(float64(want), "rows")
	})
	b.Run("check-per-row", func(b *testing.B) {
		got := 0
		for b.Loop() {
			got = listByCheck(b, e, q, tb)
		}
		b.ReportMetric(float64(got), "rows")
		if got != want {
			b.Errorf("a Check per row allows %d rows, the plan selects %d", got, want)
		}
	})
}

func benchTable(b *testing.B, n int) *plantest.Table {
	b.Helper()
	db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "resources.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rng := rand.New(rand.NewSource(5))
	pools := plantest.ExamplePools()
	rows := plantest.Resources(rng, n, pools, plantest.Columns{})
	return plantest.NewTable(b, db, plansql.SQLite, "resources", pools.Names(), nil, rng, rows)
}

func listByPlan(b *testing.B, e *engine.Engine, q pdp.PlanQuery, tb *plantest.Table) int {
	plan, err := e.PlanResources(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	where, args, err := plansql.Where(plan.Kind, plan.Condition, tb.Dialect, nil)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := tb.Select(context.Background(), where, args)
	if err != nil {
		b.Fatal(err)
	}
	return len(ids)
}

func listByCheck(b *testing.B, e *engine.Engine, q pdp.PlanQuery, tb *plantest.Table) int {
	ctx := context.Background()
	rows, err := tb.DB.QueryContext(ctx, `SELECT "id", "department", "owner", "sensitivity", "title" FROM "resources"`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	allowed := 0
	for rows.Next() {
		var id string
		vals := make([]any, 4)
		if err := rows.Scan(&id, &vals[0], &vals[1], &vals[2], &vals[3]); err != nil {
			b.Fatal(err)
		}
		r := plantest.Resource{ID: id, Attrs: map[string]any{"department": vals[0], "owner": vals[1], "sensitivity": vals[2], "title": vals[3]}}
		res, err := e.Evaluate(ctx, pdp.Query{Input: plantest.Input(q.Input, q.ResourceType, r)})
		if err != nil {
			b.Fatal(err)
		}
		if res.Allow {
			allowed++
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return allowed
}

package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/postgres"
)

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func analyze(t *testing.T, url string) {
	t.Helper()
	if _, err := connect(t, url).Exec(context.Background(), `ANALYZE decisions`); err != nil {
		t.Fatal(err)
	}
}

// explain returns the plan of the query for f, as a generic plan (the one
// a prepared statement settles on) would also choose.
func explain(t *testing.T, url string, f audit.Filter) string {
	t.Helper()
	q, args := postgres.QuerySQL(f)
	rows, err := connect(t, url).Query(context.Background(), `EXPLAIN `+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

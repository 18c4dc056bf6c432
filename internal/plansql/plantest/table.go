package plantest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// Table is a SQL table of resources: column id and one column per
// attribute, NULL where the resource lacks it.
type Table struct {
	DB      *sql.DB
	Dialect string // "sqlite" or "postgres"
	Name    string
	Rows    []Resource
}

// NewTable creates table name in db and inserts rows. SQLite columns have
// no declared type (each value keeps its own); PostgreSQL columns take the
// one kind cols gives each attribute (numbers as double precision or
// numeric, drawn with rng).
func NewTable(t testing.TB, db *sql.DB, dialect, name string, attrs []string, cols Columns, rng *rand.Rand, rows []Resource) *Table {
	t.Helper()
	defs := []string{`"id" TEXT PRIMARY KEY`}
	for _, a := range attrs {
		defs = append(defs, fmt.Sprintf("%q %s", a, columnType(dialect, cols[a], rng)))
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %q (%s)", name, strings.Join(defs, ", "))); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	tb := &Table{DB: db, Dialect: dialect, Name: name, Rows: rows}
	if err := tb.insert(ctx, attrs); err != nil {
		t.Fatalf("insert into %s: %v", name, err)
	}
	return tb
}

func columnType(dialect string, kinds []Kind, rng *rand.Rand) string {
	if dialect == "sqlite" || len(kinds) != 1 {
		return ""
	}
	switch kinds[0] {
	case KindString:
		return "TEXT"
	case KindBool:
		return "BOOLEAN"
	}
	return pick(rng, []string{"DOUBLE PRECISION", "NUMERIC"})
}

// insert writes the rows in one transaction.
func (tb *Table) insert(ctx context.Context, attrs []string) error {
	tx, err := tb.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols, phs := []string{`"id"`}, []string{tb.placeholder(1)}
	for i, a := range attrs {
		cols, phs = append(cols, fmt.Sprintf("%q", a)), append(phs, tb.placeholder(i+2))
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %q (%s) VALUES (%s)", tb.Name, strings.Join(cols, ", "), strings.Join(phs, ", ")))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range tb.Rows {
		args := []any{r.ID}
		for _, a := range attrs {
			args = append(args, r.Attrs[a])
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("row %s: %w", r.ID, err)
		}
	}
	return tx.Commit()
}

func (tb *Table) placeholder(n int) string {
	if tb.Dialect == "postgres" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// Select returns the ids of the rows where matches.
func (tb *Table) Select(ctx context.Context, where string, args []any) (map[string]bool, error) {
	rows, err := tb.DB.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %q WHERE %s", tb.Name, where), args...)
	if err != nil {
		return nil, fmt.Errorf("select where %s: %w", where, err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

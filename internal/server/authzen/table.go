package authzen

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// WhereFunc writes a plan as a SQL WHERE clause of dialect ("sqlite" or
// "postgres") with placeholders, and the values of the placeholders in
// order; columns maps field paths to column names (nil: the defaults,
// resource.id is id and resource.attributes.NAME is NAME).
type WhereFunc func(kind pdp.PlanKind, c *pdp.Condition, dialect string, columns map[string]string) (string, []any, error)

// Resources lists the resources of a table that a plan selects.
type Resources interface {
	// Select returns the ids of the rows that plan selects, in id order,
	// from offset on and at most limit of them (0: all), and how many rows
	// it selects in all.
	Select(ctx context.Context, plan pdp.ResourcePlan, limit, offset int) (ids []string, total int, err error)
}

// Table is a table of resources in SQLite or PostgreSQL: one row per
// resource, its id in the column id, its attributes in columns named as
// the attributes. Its rows are taken to be of whatever type is searched.
type Table struct {
	db      *sql.DB
	dialect string
	name    string // quoted
	where   WhereFunc
}

var _ Resources = (*Table)(nil)

// NewTable reads the table name (NAME or SCHEMA.NAME) of db, whose dialect
// is "sqlite" or "postgres"; where writes the plans as SQL.
func NewTable(db *sql.DB, dialect, name string, where WhereFunc) *Table {
	return &Table{db: db, dialect: dialect, name: quoteName(name), where: where}
}

// idColumn is the column of the resource ids, quoted.
const idColumn = `"id"`

// Select runs the plan's WHERE clause over the table: the page of ids in
// id order, and the count of every row selected. Rows without an id are
// never selected.
func (t *Table) Select(ctx context.Context, plan pdp.ResourcePlan, limit, offset int) ([]string, int, error) {
	where, args, err := t.where(plan.Kind, plan.Condition, t.dialect, nil)
	if err != nil {
		return nil, 0, &pdp.Error{Code: pdp.CodeFailedPrecondition, Msg: "the search's plan cannot be written as SQL", Err: err}
	}
	cond := fmt.Sprintf("(%s) AND %s IS NOT NULL", where, idColumn)
	var total int
	count := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", t.name, cond)
	if err := t.db.QueryRowContext(ctx, count, args...).Scan(&total); err != nil {
		return nil, 0, t.failed(ctx, err)
	}
	ids, err := t.page(ctx, cond, args, limit, offset)
	return ids, total, err
}

func (t *Table) page(ctx context.Context, cond string, args []any, limit, offset int) ([]string, error) {
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s%s", idColumn, t.name, cond, idColumn, t.window(limit, offset))
	rows, err := t.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, t.failed(ctx, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, t.failed(ctx, err)
		}
		ids = append(ids, idText(v))
	}
	if err := rows.Err(); err != nil {
		return nil, t.failed(ctx, err)
	}
	return ids, nil
}

// window is the LIMIT and OFFSET clause of a page; limit 0 is no limit.
func (t *Table) window(limit, offset int) string {
	switch {
	case limit > 0:
		return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
	case t.dialect == "sqlite":
		return fmt.Sprintf(" LIMIT -1 OFFSET %d", offset)
	default:
		return fmt.Sprintf(" OFFSET %d", offset)
	}
}

// failed makes a failing database a dependency the search cannot answer
// without.
func (t *Table) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return pdp.Unavailable("the resource table cannot be read", fmt.Errorf("%s: %w", t.name, err))
}

// idText is a resource id as AuthZEN carries it: a string.
func idText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// quoteName quotes each part of NAME or SCHEMA.NAME as an identifier.
func quoteName(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

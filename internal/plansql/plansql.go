// Package plansql turns a resource plan into a SQL WHERE clause for SQLite
// or PostgreSQL, with placeholders for every value (never interpolated).
//
// A row is one resource: the column of resource.id holds its id and the
// column of each attribute holds the attribute's value, NULL when the
// resource lacks it. The clause selects a row exactly when the plan's
// condition holds for that resource, with Rego's semantics: a comparison
// with a missing attribute is false (and `not` of it true), values of
// different types compare by Rego's order of types (null < boolean <
// number < string < array < object), strings compare byte by byte, numbers
// by value. To keep that exact, every comparison checks the type the row
// actually holds (typeof in SQLite, pg_typeof in PostgreSQL) and every
// part of the clause is TRUE or FALSE, never NULL, so NOT is Rego's not.
//
// What a column may hold: strings (TEXT, VARCHAR), numbers (INTEGER,
// REAL, DOUBLE PRECISION, NUMERIC, ...) and, in PostgreSQL, booleans, or
// NULL for a missing attribute. SQLite has no boolean type: a 0 or 1 there
// is a number, and a plan comparing with true or false sees no boolean in
// it. SQLite columns should have no declared type (or the one type the
// attribute always has), so that values keep the type they were stored
// with. Nulls, arrays and objects cannot be stored as attribute values.
package plansql

import (
	"fmt"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Where returns the WHERE clause (without the keyword) that selects the
// rows a plan allows, and its arguments in placeholder order. dialect is
// "sqlite" (placeholders ?) or "postgres" ($1, $2, ...). columns maps field
// paths to column names; by default resource.id is id and
// resource.attributes.NAME is NAME. Every column name is quoted.
func Where(kind pdp.PlanKind, c *pdp.Condition, dialect string, columns map[string]string) (string, []any, error) {
	d, err := dialectOf(dialect)
	if err != nil {
		return "", nil, err
	}
	if err := checkColumns(columns); err != nil {
		return "", nil, err
	}
	switch kind {
	case pdp.PlanAlwaysAllowed:
		return d.lit(true), []any{}, nil
	case pdp.PlanAlwaysDenied:
		return d.lit(false), []any{}, nil
	case pdp.PlanConditional:
		if c == nil {
			return "", nil, fmt.Errorf("plansql: a conditional plan without a condition")
		}
		b := &builder{d: d, columns: columns, args: []any{}}
		sql, err := b.cond(*c)
		if err != nil {
			return "", nil, err
		}
		return sql, b.args, nil
	}
	return "", nil, fmt.Errorf("plansql: plan kind %v", kind)
}

// Column returns the quoted column of a field path.
func Column(field string, columns map[string]string) (string, error) {
	name, err := columnName(field, columns)
	if err != nil {
		return "", err
	}
	return quote(name), nil
}

func columnName(field string, columns map[string]string) (string, error) {
	if name, ok := columns[field]; ok {
		return name, nil
	}
	switch {
	case field == "resource.id":
		return "id", nil
	case strings.HasPrefix(field, "resource.attributes.") && len(field) > len("resource.attributes."):
		return strings.TrimPrefix(field, "resource.attributes."), nil
	}
	return "", pdp.InvalidField("columns", fmt.Sprintf("field %q has no column", field))
}

func checkColumns(columns map[string]string) error {
	for field, name := range columns {
		if name == "" || strings.ContainsRune(name, 0) {
			return pdp.InvalidField("columns", fmt.Sprintf("field %q: column name %q is not usable", field, name))
		}
		if field != "resource.id" && !strings.HasPrefix(field, "resource.attributes.") {
			return pdp.InvalidField("columns", fmt.Sprintf("%q is not a resource field (resource.id or resource.attributes.NAME)", field))
		}
	}
	return nil
}

// quote quotes an identifier, doubling embedded quotes.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

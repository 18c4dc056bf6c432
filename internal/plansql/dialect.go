package plansql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Ranks of the JSON types in Rego's order of values.
const (
	rankNull = iota
	rankBoolean
	rankNumber
	rankString
	rankArray
	rankObject
)

// rowType is a type a column can hold in a dialect: how to tell a row
// holds it, and how to compare such a value with an argument.
type rowType struct {
	rank  int
	guard func(col string) string
	left  func(col string) string
	right func(ph string) string
}

type dialect struct {
	name  string
	types []rowType
	// placeholder returns the n-th (1-based) placeholder.
	placeholder func(n int) string
	// combine joins, for one column, the parts per row type (a type left
	// out of parts compares false; a part "" compares true).
	combine func(col string, parts map[int]string, types []rowType) string
	lit     func(b bool) string
}

func dialectOf(name string) (dialect, error) {
	switch name {
	case SQLite:
		return dialect{name: SQLite, types: sqliteTypes, placeholder: func(int) string { return "?" },
			combine: sqliteCombine, lit: sqliteLit}, nil
	case Postgres:
		return dialect{name: Postgres, types: postgresTypes, placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
			combine: postgresCombine, lit: postgresLit}, nil
	}
	return dialect{}, pdp.InvalidField("sql_dialect", fmt.Sprintf("unknown SQL dialect %q (sqlite or postgres)", name))
}

func same(s string) string { return s }

// SQLite keeps the type of each stored value; typeof tells it. Its
// BINARY collation compares strings byte by byte, as Rego does.
var sqliteTypes = []rowType{
	{rank: rankNumber, guard: func(c string) string { return "typeof(" + c + ") IN ('integer','real')" }, left: same, right: same},
	{rank: rankString, guard: func(c string) string { return "typeof(" + c + ") = 'text'" },
		left: func(c string) string { return c + " COLLATE BINARY" }, right: same},
}

func sqliteLit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// sqliteCombine ORs guarded parts; a NULL makes every guard false.
func sqliteCombine(col string, parts map[int]string, types []rowType) string {
	var out []string
	for _, t := range types {
		part, ok := parts[t.rank]
		switch {
		case !ok:
		case part == "":
			out = append(out, t.guard(col))
		default:
			out = append(out, "("+t.guard(col)+" AND "+part+")")
		}
	}
	return joinOr(out, sqliteLit(false))
}

func joinOr(parts []string, none string) string {
	switch len(parts) {
	case 0:
		return none
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// PostgreSQL columns have one declared type; pg_typeof tells it, and the
// comparison goes through text so that it plans for any column type. CASE
// keeps the cast of a column of another type from running.
var postgresTypes = []rowType{
	{rank: rankBoolean, guard: pgTypeIn("boolean"),
		left: func(c string) string { return c + "::text::boolean" }, right: func(p string) string { return p + "::boolean" }},
	{rank: rankNumber, guard: pgTypeIn("smallint", "integer", "bigint", "real", "double precision", "numeric"),
		left: func(c string) string { return c + "::text::float8" }, right: func(p string) string { return p + "::float8" }},
	{rank: rankString, guard: pgTypeIn("text", "character varying"),
		left: func(c string) string { return c + `::text COLLATE "C"` }, right: func(p string) string { return p + "::text" }},
}

func pgTypeIn(names ...string) func(string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'::regtype"
	}
	list := strings.Join(quoted, ", ")
	return func(c string) string { return "pg_typeof(" + c + ") IN (" + list + ")" }
}

func postgresLit(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func postgresCombine(col string, parts map[int]string, types []rowType) string {
	var b strings.Builder
	for _, t := range types {
		part, ok := parts[t.rank]
		if !ok {
			continue
		}
		if part == "" {
			part = "TRUE"
		}
		fmt.Fprintf(&b, " WHEN %s THEN %s", t.guard(col), part)
	}
	if b.Len() == 0 {
		return "FALSE"
	}
	return "(CASE WHEN " + col + " IS NULL THEN FALSE" + b.String() + " ELSE FALSE END)"
}

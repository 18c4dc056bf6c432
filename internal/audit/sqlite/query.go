package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/pdp-project/pdp/internal/audit"
)

// Query returns one page of the records f selects, newest first (by time,
// then by seq), and the token of the next page ("" after the last page).
// Every filter is served by an index (see SchemaV2 and the query plan
// test); the page token is a keyset cursor, so paging is stable while new
// records arrive.
func (s *Store) Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	cur, err := audit.ParseToken(p.Token)
	if err != nil {
		return nil, "", err
	}
	if err := s.flushPending(ctx); err != nil {
		return nil, "", err
	}
	where, args := whereClause(f, cur)
	limit := p.Limit()
	q := `SELECT ` + columns + ` FROM decisions` + where + ` ORDER BY time DESC, seq DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("query decisions: %w", err)
	}
	out, err := collect(rows)
	if err != nil || len(out) <= limit {
		return out, "", err
	}
	out = out[:limit]
	last := out[limit-1]
	return out, audit.Cursor{Time: last.Time.UTC().Format(audit.TimeFormat), Seq: last.Seq}.Token(), nil
}

// QuerySQL returns the statement and arguments Query runs for f (for
// EXPLAIN QUERY PLAN in tests and for auditors who want the SQL).
func QuerySQL(f audit.Filter, cur audit.Cursor) (string, []any) {
	where, args := whereClause(f, cur)
	return `SELECT ` + columns + ` FROM decisions` + where + ` ORDER BY time DESC, seq DESC LIMIT 100`, args
}

func whereClause(f audit.Filter, cur audit.Cursor) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vals ...any) {
		conds = append(conds, cond)
		args = append(args, vals...)
	}
	for _, eq := range []struct{ col, val string }{
		{"decision_id", f.DecisionID}, {"subject_id", f.SubjectID}, {"subject_type", f.SubjectType},
		{"resource_type", f.ResourceType}, {"resource_id", f.ResourceID}, {"action", f.Action},
		{"caller", f.Caller}, {"bundle_revision", f.BundleRevision},
	} {
		if eq.val != "" {
			add(eq.col+" = ?", eq.val)
		}
	}
	if f.Allow != nil {
		add("allow = ?", *f.Allow)
	}
	if !f.Since.IsZero() {
		add("time >= ?", f.Since.UTC().Format(audit.TimeFormat))
	}
	if !f.Until.IsZero() {
		add("time < ?", f.Until.UTC().Format(audit.TimeFormat))
	}
	if cur.Time != "" {
		add("(time, seq) < (?, ?)", cur.Time, cur.Seq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

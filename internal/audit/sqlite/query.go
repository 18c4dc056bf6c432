package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	limit := p.Limit()
	pending, err := s.pendingMatches(f, cur, limit+1) // before the trail: see After
	if err != nil {
		return nil, "", err
	}
	where, args := whereClause(f, cur)
	q := `SELECT ` + s.cols + ` FROM decisions` + where + ` ORDER BY time DESC, seq DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("query decisions: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, "", err
	}
	out = mergeNewestFirst(out, pending)
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	last := out[limit-1]
	return out, audit.Cursor{Time: last.Time.UTC().Format(audit.TimeFormat), Seq: last.Seq}.Token(), nil
}

// pendingMatches returns the newest (up to limit) journaled entries that f
// selects and that come after cur in newest-first order.
func (s *Store) pendingMatches(f audit.Filter, cur audit.Cursor, limit int) ([]audit.Entry, error) {
	s.mu.Lock()
	top := newestN{limit: limit}
	for i := len(s.pending.recs) - 1; i >= 0; i-- {
		p := &s.pending.recs[i]
		if top.wants(p.Entry) && f.Matches(p.Entry) && (cur.Time == "" || !newer(p.Entry, cur)) {
			top.add(p)
		}
	}
	found := make([]audit.Sealed, len(top.recs))
	for i, p := range top.recs {
		found[i] = *p
	}
	s.mu.Unlock()
	return stored(found)
}

// pendingAll returns every journaled entry f selects that the trail does
// not hold yet, as the trail returns them.
func (s *Store) pendingAll(f audit.Filter) ([]audit.Entry, error) {
	s.mu.Lock()
	var found []audit.Sealed
	for _, p := range s.pending.recs {
		if f.Matches(p.Entry) {
			found = append(found, p)
		}
	}
	s.mu.Unlock()
	return stored(found)
}

// newestN keeps the newest limit records offered, newest first; offering
// is cheap once it is full and a record is older than all it keeps.
type newestN struct {
	limit int
	recs  []*audit.Sealed
}

func (n *newestN) wants(e audit.Entry) bool {
	return len(n.recs) < n.limit || byNewest(e, n.recs[len(n.recs)-1].Entry) < 0
}

func (n *newestN) add(p *audit.Sealed) {
	i, _ := slices.BinarySearchFunc(n.recs, p, func(a, b *audit.Sealed) int { return byNewest(a.Entry, b.Entry) })
	n.recs = slices.Insert(n.recs, i, p)
	if len(n.recs) > n.limit {
		n.recs = n.recs[:n.limit]
	}
}

// newer reports whether e comes at or before cur in newest-first order.
func newer(e audit.Entry, cur audit.Cursor) bool {
	t := e.Time.UTC().Format(audit.TimeFormat)
	return t > cur.Time || t == cur.Time && e.Seq >= cur.Seq
}

func byNewest(a, b audit.Entry) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return cmp.Compare(b.Seq, a.Seq)
}

// mergeNewestFirst merges two newest-first lists, dropping the entries
// both hold (indexed between the two reads).
func mergeNewestFirst(trail, pending []audit.Entry) []audit.Entry {
	if len(pending) == 0 {
		return trail
	}
	out := append(trail, pending...)
	slices.SortFunc(out, byNewest)
	return slices.CompactFunc(out, func(a, b audit.Entry) bool { return a.Seq == b.Seq })
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
		{"caller", f.Caller}, {"bundle_revision", f.BundleRevision}, {"entrypoint", f.Entrypoint},
		{"trace_id", f.TraceID},
	} {
		if eq.val != "" {
			add(eq.col+" = ?", eq.val)
		}
	}
	if f.Reason != "" {
		add("EXISTS (SELECT 1 FROM json_each(reasons) WHERE value = ?)", f.Reason)
	}
	if f.Error != "" {
		add("instr(error, ?) > 0", f.Error)
	}
	switch { // literal, so that the planner may use the partial index of denies
	case f.Allow == nil:
	case *f.Allow:
		add("allow = 1")
	default:
		add("allow = 0")
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

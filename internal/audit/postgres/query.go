package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// Query returns one page of the records f selects across all instances,
// newest first (by time to the nanosecond, then seq, then instance), and
// the token of the next page ("" after the last). The token is a keyset
// cursor, so paging is stable while records arrive; every filter is served
// by an index (see the query plan test).
func (s *Store) Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	rows, next, err := s.QueryRows(ctx, f, p)
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.Entry
	}
	return out, next, err
}

// QueryRows is Query with the instance of each record.
func (s *Store) QueryRows(ctx context.Context, f audit.Filter, p audit.Page) ([]Row, string, error) {
	cur, err := parseToken(p.Token)
	if err != nil {
		return nil, "", err
	}
	limit := p.Limit()
	q, args := querySQL(f, cur, limit+1)
	rows, err := collect(s.pool.Query(ctx, q, args...))
	if err != nil {
		return nil, "", err
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	last := rows[max(len(rows)-1, 0):]
	rows = keep(f, rows)
	if !more {
		return rows, "", nil
	}
	return rows, cursorOf(last[0]).token(), nil
}

// keep drops rows that only the stored form of a value with NUL matched
// (see batch.addText); other rows match as stored.
func keep(f audit.Filter, rows []Row) []Row {
	if !hasNUL(f) {
		return rows
	}
	out := rows[:0]
	for _, r := range rows {
		if f.MatchesIn(r.Instance, r.Entry) {
			out = append(out, r)
		}
	}
	return out
}

func hasNUL(f audit.Filter) bool {
	for _, v := range []string{f.DecisionID, f.SubjectID, f.SubjectType, f.ResourceType, f.ResourceID,
		f.Action, f.Caller, f.BundleRevision, f.Instance, f.Entrypoint, f.TraceID, f.Reason, f.Error} {
		if strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// QuerySQL returns the statement and arguments Query runs for f on its
// first page (for EXPLAIN in tests and for auditors who want the SQL).
func QuerySQL(f audit.Filter) (string, []any) {
	return querySQL(f, cursor{}, audit.DefaultPageSize)
}

func querySQL(f audit.Filter, cur cursor, limit int) (string, []any) {
	w := where{}
	for _, eq := range []struct{ col, val string }{
		{"decision_id", f.DecisionID}, {"subject_id", f.SubjectID}, {"subject_type", f.SubjectType},
		{"resource_type", f.ResourceType}, {"resource_id", f.ResourceID}, {"action", f.Action},
		{"caller", f.Caller}, {"bundle_revision", f.BundleRevision}, {"instance_id", f.Instance},
		{"entrypoint", f.Entrypoint}, {"trace_id", f.TraceID},
	} {
		if eq.val != "" {
			w.add(eq.col+" = $?", strings.ReplaceAll(validUTF8(eq.val), "\x00", "\uFFFD"))
		}
	}
	if f.Reason != "" {
		w.add("EXISTS (SELECT 1 FROM json_array_elements_text(reasons) AS r WHERE r = $?)", pgText(f.Reason))
	}
	if f.Error != "" {
		w.add("strpos(error, $?) > 0", pgText(f.Error))
	}
	if f.Allow != nil { // a literal, so that the plan can use the partial index of denials
		w.add(map[bool]string{true: "allow", false: "NOT allow"}[*f.Allow])
	}
	w.timeBounds(f.Since, f.Until)
	w.before(cur)
	return `SELECT ` + selectColumns + ` FROM decisions` + w.sql() +
		` ORDER BY time DESC, time_nanos DESC, seq DESC, instance_id DESC LIMIT ` + strconv.Itoa(limit), w.args
}

// where builds a WHERE clause; $? in a condition is its next argument.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "$?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// timeBounds selects since <= time < until to the nanosecond: the
// microsecond column bounds the scan (and the partitions), time_nanos
// decides within the bounding microsecond.
func (w *where) timeBounds(since, until time.Time) {
	if !since.IsZero() {
		at, nanos := splitTime(since)
		w.add("time >= $?", at)
		if nanos > 0 {
			w.add("(time > $? OR time_nanos >= $?)", at, nanos)
		}
	}
	if !until.IsZero() {
		at, nanos := splitTime(until)
		if nanos == 0 {
			w.add("time < $?", at)
			return
		}
		w.add("time <= $?", at)
		w.add("(time < $? OR time_nanos < $?)", at, nanos)
	}
}

// before selects the records after cur in the newest-first order.
func (w *where) before(cur cursor) {
	if !cur.set {
		return
	}
	w.add("time <= $?", cur.at)
	w.add("(time < $? OR (time_nanos, seq, instance_id) < ($?, $?, $?))", cur.at, cur.nanos, cur.seq, cur.instance)
}

// cursor is a position in the newest-first order of a query: the last
// record returned.
type cursor struct {
	set      bool      // false: the start
	at       time.Time // to the microsecond
	nanos    int16
	seq      int64
	instance string
}

func cursorOf(r Row) cursor {
	at, nanos := splitTime(r.Time)
	return cursor{set: true, at: at, nanos: nanos, seq: r.Seq, instance: r.Instance}
}

// token encodes c as an opaque page token: the record's time as the trail
// writes it, its seq and its instance.
func (c cursor) token() string {
	t := joinTime(c.at, c.nanos).Format(audit.TimeFormat)
	return base64.RawURLEncoding.EncodeToString([]byte(t + "|" + strconv.FormatInt(c.seq, 10) + "|" + c.instance))
}

// parseToken decodes a page token; "" is the zero cursor.
func parseToken(token string) (cursor, error) {
	if token == "" {
		return cursor{}, nil
	}
	bad := fmt.Errorf("page token %q is malformed", token)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	parts := strings.SplitN(string(raw), "|", 3)
	if err != nil || len(parts) != 3 {
		return cursor{}, bad
	}
	t, terr := time.Parse(time.RFC3339Nano, parts[0])
	seq, serr := strconv.ParseInt(parts[1], 10, 64)
	if terr != nil || serr != nil {
		return cursor{}, bad
	}
	at, nanos := splitTime(t)
	return cursor{set: true, at: at, nanos: nanos, seq: seq, instance: parts[2]}, nil
}

// pgText is s as PostgreSQL holds text: valid UTF-8 without NUL.
func pgText(s string) string {
	return strings.ReplaceAll(validUTF8(s), "\x00", "\uFFFD")
}

package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
)

// column is a decisions column that Ship writes; json columns travel as
// text and are cast.
type column struct {
	name, typ string
}

// shipColumns are the columns in the order of batch.row and batch.arrays.
func shipColumns() []column {
	return []column{{"instance_id", "text"}, {"seq", "bigint"}, {"prev_hash", "text"}, {"hash", "text"},
		{"decision_id", "text"}, {"time", "timestamptz"}, {"time_nanos", "smallint"}, {"caller", "text"},
		{"subject_type", "text"}, {"subject_id", "text"}, {"resource_type", "text"}, {"resource_id", "text"},
		{"action", "text"}, {"allow", "boolean"}, {"reasons", "json"}, {"obligations", "json"}, {"input", "json"},
		{"bundle_revision", "text"}, {"bundle_digest", "text"}, {"entrypoint", "text"}, {"cache_hit", "boolean"},
		{"latency_us", "bigint"}, {"error", "text"}, {"trace_id", "text"}, {"masked", "json"},
		{"mask_error", "boolean"}, {"nul_text", "json"}, {"kind", "text"}, {"plan", "json"}}
}

// wireType is the type a column travels as.
func (c column) wireType() string {
	if c.typ == "json" {
		return "text"
	}
	return c.typ
}

// batch holds entries of one instance encoded column by column, the way
// the unnest insert sends them; row gives them row by row for COPY.
type batch struct {
	n                                                        int
	instance                                                 string
	seq, latency                                             []int64
	prevHash, hash, decisionID                               []string
	at                                                       []time.Time
	nanos                                                    []int16
	caller, subjectType, subjectID, resourceType, resourceID []string
	action, bundleRevision, bundleDigest, entrypoint         []string
	errText, traceID                                         []string
	reasons, obligations, input, masked                      []string
	nulText, plan                                            []*string
	kind                                                     []string
	allow, cacheHit, maskError                               []bool
	days                                                     []time.Time
	maxSeq                                                   int64
	maxHash                                                  string
}

// newBatch encodes entries; an entry that cannot be stored fails it with
// an error wrapping audit.ErrInvalidRecord.
func newBatch(instance string, entries []audit.Entry) (*batch, error) {
	b := newColumns(instance, len(entries))
	for _, e := range entries {
		if err := b.add(e); err != nil {
			return nil, fmt.Errorf("%w: decision %q: %v", audit.ErrInvalidRecord, e.DecisionID, err)
		}
	}
	return b, nil
}

// newColumns returns an empty batch with room for n entries.
func newColumns(instance string, n int) *batch {
	strs := func() []string { return make([]string, 0, n) }
	return &batch{instance: instance, seq: make([]int64, 0, n), latency: make([]int64, 0, n),
		prevHash: strs(), hash: strs(), decisionID: strs(), at: make([]time.Time, 0, n), nanos: make([]int16, 0, n),
		caller: strs(), subjectType: strs(), subjectID: strs(), resourceType: strs(), resourceID: strs(),
		action: strs(), bundleRevision: strs(), bundleDigest: strs(), entrypoint: strs(), errText: strs(),
		traceID: strs(), reasons: strs(), obligations: strs(), input: strs(), masked: strs(),
		nulText: make([]*string, 0, n), plan: make([]*string, 0, n), kind: strs(), allow: make([]bool, 0, n), cacheHit: make([]bool, 0, n),
		maskError: make([]bool, 0, n)}
}

func (b *batch) add(e audit.Entry) error {
	r := e.Record
	if r.DecisionID == "" {
		return fmt.Errorf("empty decision id")
	}
	var js [4]string
	var err error
	for i, v := range []struct {
		name  string
		value any
		empty string
	}{{"reasons", r.Reasons, "[]"}, {"obligations", r.Obligations, "{}"}, {"input", r.Input, "{}"}, {"masked", r.Masked, "[]"}} {
		if js[i], err = jsonText(v.value, v.empty); err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
	}
	b.reasons, b.obligations, b.input, b.masked = append(b.reasons, js[0]), append(b.obligations, js[1]),
		append(b.input, js[2]), append(b.masked, js[3])
	if err := b.addPlan(r.Plan); err != nil {
		return err
	}
	b.addChain(e)
	b.addText(e)
	b.addTime(r.Time)
	b.allow, b.cacheHit, b.maskError = append(b.allow, r.Allow), append(b.cacheHit, r.CacheHit), append(b.maskError, r.MaskError)
	b.latency = append(b.latency, r.Latency.Microseconds())
	b.n++
	return nil
}

func (b *batch) addChain(e audit.Entry) {
	b.seq = append(b.seq, e.Seq)
	if e.Seq > b.maxSeq || b.n == 0 {
		b.maxSeq, b.maxHash = e.Seq, e.Hash
	}
}

// addTime splits t into its microsecond (a timestamptz) and the
// nanoseconds past it, and notes its day.
func (b *batch) addTime(t time.Time) {
	us, nanos := splitTime(t)
	b.at, b.nanos = append(b.at, us), append(b.nanos, nanos)
	if d := dayOf(t); !containsDay(b.days, d) {
		b.days = append(b.days, d)
	}
}

// splitTime splits t into its microsecond (what a timestamptz holds) and
// the nanoseconds past it; joinTime puts them together again.
func splitTime(t time.Time) (time.Time, int16) {
	t = t.UTC()
	us := t.Truncate(time.Microsecond)
	return us, int16(t.Sub(us))
}

func joinTime(at time.Time, nanos int16) time.Time {
	return at.UTC().Add(time.Duration(nanos))
}

// addText appends the text columns. PostgreSQL text holds neither NUL nor
// invalid UTF-8: invalid bytes become U+FFFD, as the hash's canonical JSON
// writes them (so the hash still verifies), and a value with NUL is stored
// with U+FFFD in its column and exactly in nul_text.
func (b *batch) addText(e audit.Entry) {
	r := e.Record
	var exact map[string]string // made only for a value with NUL
	text := func(col, v string) string {
		v = validUTF8(v)
		if strings.IndexByte(v, 0) >= 0 {
			if exact == nil {
				exact = map[string]string{}
			}
			exact[col] = v
			return strings.ReplaceAll(v, "\x00", "\uFFFD")
		}
		return v
	}
	b.prevHash, b.hash = append(b.prevHash, text("prev_hash", e.PrevHash)), append(b.hash, text("hash", e.Hash))
	b.decisionID = append(b.decisionID, text("decision_id", r.DecisionID))
	b.caller, b.subjectType = append(b.caller, text("caller", r.Caller)), append(b.subjectType, text("subject_type", r.SubjectType))
	b.subjectID, b.resourceType = append(b.subjectID, text("subject_id", r.SubjectID)), append(b.resourceType, text("resource_type", r.ResourceType))
	b.resourceID, b.action = append(b.resourceID, text("resource_id", r.ResourceID)), append(b.action, text("action", r.Action))
	b.bundleRevision = append(b.bundleRevision, text("bundle_revision", r.BundleRevision))
	b.bundleDigest = append(b.bundleDigest, text("bundle_digest", r.BundleDigest))
	b.entrypoint, b.errText = append(b.entrypoint, text("entrypoint", r.Entrypoint)), append(b.errText, text("error", r.Error))
	b.traceID = append(b.traceID, text("trace_id", r.TraceID))
	b.kind = append(b.kind, text("kind", r.Kind))
	b.nulText = append(b.nulText, nulText(exact))
}

// addPlan appends a plan record's answer, NULL for a decision.
func (b *batch) addPlan(plan map[string]any) error {
	if plan == nil {
		b.plan = append(b.plan, nil)
		return nil
	}
	js, err := jsonText(plan, "{}")
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	b.plan = append(b.plan, &js)
	return nil
}

func nulText(exact map[string]string) *string {
	if len(exact) == 0 {
		return nil
	}
	js, _ := json.Marshal(exact)
	s := string(js)
	return &s
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as
// encoding/json and the hash's canonical form do.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// jsonText encodes v: in the canonical form of the hash when it holds
// only what that form takes (the usual case, and the fastest encoder
// here), else with encoding/json without HTML escaping. Either decodes to
// the values the hash covers. Null becomes empty.
func jsonText(v any, empty string) (string, error) {
	if out, err := audit.Canonical(v); err == nil {
		return nonNull(string(out), empty), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return nonNull(strings.TrimSuffix(buf.String(), "\n"), empty), nil
}

func nonNull(text, empty string) string {
	if text == "null" {
		return empty
	}
	return text
}

// arrays returns the columns in the order of shipColumns.
func (b *batch) arrays() []any {
	instance := make([]string, b.n)
	for i := range instance {
		instance[i] = b.instance
	}
	return []any{instance, b.seq, b.prevHash, b.hash, b.decisionID, b.at, b.nanos,
		b.caller, b.subjectType, b.subjectID, b.resourceType, b.resourceID, b.action, b.allow,
		b.reasons, b.obligations, b.input, b.bundleRevision, b.bundleDigest, b.entrypoint, b.cacheHit,
		b.latency, b.errText, b.traceID, b.masked, b.maskError, b.nulText, b.kind, b.plan}
}

// source gives the rows to COPY, one at a time in one reused slice (the
// driver encodes each row before it asks for the next).
func (b *batch) source() pgx.CopyFromSource {
	row, next := make([]any, len(shipColumns())), 0
	return pgx.CopyFromFunc(func() ([]any, error) {
		if next == b.n {
			return nil, nil
		}
		b.row(row, next)
		next++
		return row, nil
	})
}

// row fills dst with row i in the order of shipColumns.
func (b *batch) row(dst []any, i int) {
	_ = append(dst[:0], b.instance, b.seq[i], b.prevHash[i], b.hash[i], b.decisionID[i], b.at[i], b.nanos[i],
		b.caller[i], b.subjectType[i], b.subjectID[i], b.resourceType[i], b.resourceID[i], b.action[i], b.allow[i],
		b.reasons[i], b.obligations[i], b.input[i], b.bundleRevision[i], b.bundleDigest[i], b.entrypoint[i], b.cacheHit[i],
		b.latency[i], b.errText[i], b.traceID[i], b.masked[i], b.maskError[i], b.nulText[i], b.kind[i], b.plan[i])
}

package audit

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultPageSize and MaxPageSize bound a query page.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Filter selects records; empty fields match everything. Every set field
// must match.
type Filter struct {
	DecisionID     string
	SubjectType    string
	SubjectID      string
	ResourceType   string
	ResourceID     string
	Action         string
	Caller         string
	BundleRevision string
	Allow          *bool
	Since          time.Time // inclusive; zero: no lower bound
	Until          time.Time // exclusive; zero: no upper bound
	// Instance names the replica whose chain holds the record, in a trail
	// shared by a fleet; a trail of one replica does not know its name and
	// ignores it (see MatchesIn).
	Instance string
	// Reason selects records whose reasons include it.
	Reason string
	// Entrypoint selects records of the entrypoint evaluated.
	Entrypoint string
	// Error selects records whose evaluation error contains this text.
	Error string
	// TraceID selects the records of one trace.
	TraceID string
}

// Matches reports whether f selects e, as a store's query would (for
// readers that filter a stream of records, such as a tail).
func (f Filter) Matches(e Entry) bool {
	for _, c := range []struct{ want, got string }{
		{f.DecisionID, e.DecisionID}, {f.SubjectType, e.SubjectType}, {f.SubjectID, e.SubjectID},
		{f.ResourceType, e.ResourceType}, {f.ResourceID, e.ResourceID}, {f.Action, e.Action},
		{f.Caller, e.Caller}, {f.BundleRevision, e.BundleRevision}, {f.Entrypoint, e.Entrypoint},
		{f.TraceID, e.TraceID},
	} {
		if c.want != "" && c.want != c.got {
			return false
		}
	}
	return (f.Allow == nil || *f.Allow == e.Allow) && f.inTime(e.Time) &&
		(f.Reason == "" || slices.Contains(e.Reasons, f.Reason)) && strings.Contains(e.Error, f.Error)
}

// MatchesIn is Matches for a record of the chain of instance, in a trail
// shared by a fleet: Instance must match too.
func (f Filter) MatchesIn(instance string, e Entry) bool {
	return (f.Instance == "" || f.Instance == instance) && f.Matches(e)
}

func (f Filter) inTime(t time.Time) bool {
	return (f.Since.IsZero() || !t.Before(f.Since)) && (f.Until.IsZero() || t.Before(f.Until))
}

// Page asks for one page of a query: Size records (DefaultPageSize when 0,
// at most MaxPageSize) after the position Token names ("" is the start).
type Page struct {
	Size  int
	Token string
}

// Limit is the effective page size.
func (p Page) Limit() int {
	switch {
	case p.Size <= 0:
		return DefaultPageSize
	case p.Size > MaxPageSize:
		return MaxPageSize
	}
	return p.Size
}

// Cursor is a position in the newest-first order of a query: the time and
// sequence number of the last record returned.
type Cursor struct {
	Time string // TimeFormat text
	Seq  int64
}

// Token encodes c as an opaque page token.
func (c Cursor) Token() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.Time + "|" + strconv.FormatInt(c.Seq, 10)))
}

// ParseToken decodes a page token; "" is the zero Cursor.
func ParseToken(token string) (Cursor, error) {
	if token == "" {
		return Cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	t, s, ok := strings.Cut(string(raw), "|")
	seq, perr := strconv.ParseInt(s, 10, 64)
	if _, terr := time.Parse(time.RFC3339Nano, t); err != nil || !ok || perr != nil || terr != nil {
		return Cursor{}, fmt.Errorf("page token %q is malformed", token)
	}
	return Cursor{Time: t, Seq: seq}, nil
}

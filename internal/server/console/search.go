package console

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Page sizes of the search page.
const (
	defaultLimit = 50
	// countCap bounds how many records a trail that cannot count in its
	// own store is paged through to count a search.
	countCap = 10000
)

// search is the search form: the filters of pdp audit query, named as its
// flags, as they appear in the URL. Bundle revision and trace id are
// bundle_revision and trace_id in the URL; the flags' spellings
// bundle-revision and trace-id are read too.
type search struct {
	Subject, Resource, Action, Decision, Since, Until, Caller string
	Revision, Reason, Entrypoint, Error, TraceID, Instance    string
	Limit                                                     int
	// Token is the page to show (page_token), From how many records the
	// pages before it held (for "records 51 to 100").
	Token string
	From  int
}

// fields maps URL parameters to the search's fields; aliases after the
// first name.
func (s *search) fields() []struct {
	names []string
	v     *string
} {
	return []struct {
		names []string
		v     *string
	}{
		{[]string{"subject"}, &s.Subject}, {[]string{"resource"}, &s.Resource}, {[]string{"action"}, &s.Action},
		{[]string{"decision"}, &s.Decision}, {[]string{"since"}, &s.Since}, {[]string{"until"}, &s.Until},
		{[]string{"caller"}, &s.Caller}, {[]string{"bundle_revision", "bundle-revision"}, &s.Revision},
		{[]string{"reason"}, &s.Reason}, {[]string{"entrypoint"}, &s.Entrypoint}, {[]string{"error"}, &s.Error},
		{[]string{"trace_id", "trace-id"}, &s.TraceID}, {[]string{"instance"}, &s.Instance},
		{[]string{"page_token"}, &s.Token},
	}
}

// parseSearch reads the search of a URL query and the audit.Filter it
// selects at now. A bad value is an InvalidArgument naming its parameter.
func parseSearch(q url.Values, now time.Time) (search, audit.Filter, error) {
	var s search
	for _, f := range s.fields() {
		for _, n := range f.names {
			if v := strings.TrimSpace(q.Get(n)); v != "" && *f.v == "" {
				*f.v = v
			}
		}
	}
	var err error
	if s.Limit, err = intParam(q, "limit", defaultLimit, 1, audit.MaxPageSize); err != nil {
		return s, audit.Filter{}, err
	}
	if s.From, err = intParam(q, "from", 0, 0, 1<<40); err != nil {
		return s, audit.Filter{}, err
	}
	if _, err := audit.ParseToken(s.Token); err != nil {
		return s, audit.Filter{}, pdp.InvalidField("page_token", "is not a token this console issued")
	}
	f, err := s.filter(now)
	return s, f, err
}

// filter is the audit.Filter of the search, read as pdp audit query
// reads its flags.
func (s search) filter(now time.Time) (audit.Filter, error) {
	f := audit.Filter{Action: s.Action, Caller: s.Caller, BundleRevision: s.Revision, Reason: s.Reason,
		Entrypoint: s.Entrypoint, Error: s.Error, TraceID: s.TraceID, Instance: s.Instance}
	if typ, id, ok := strings.Cut(s.Subject, ":"); ok {
		f.SubjectType, f.SubjectID = typ, id
	} else {
		f.SubjectID = s.Subject
	}
	f.ResourceType, f.ResourceID, _ = strings.Cut(s.Resource, ":")
	switch s.Decision {
	case "":
	case "allow", "deny":
		allow := s.Decision == "allow"
		f.Allow = &allow
	default:
		return f, pdp.InvalidField("decision", "want allow or deny, not "+strconv.Quote(s.Decision))
	}
	var err error
	if f.Since, err = parseWhen("since", s.Since, now); err != nil {
		return f, err
	}
	f.Until, err = parseWhen("until", s.Until, now)
	return f, err
}

// values is the URL query of the search (its page token and offset left
// out): the deep link of its first page.
func (s search) values() url.Values {
	q := url.Values{}
	for _, f := range s.fields() {
		if *f.v != "" && f.names[0] != "page_token" {
			q.Set(f.names[0], *f.v)
		}
	}
	if s.Limit != defaultLimit && s.Limit > 0 {
		q.Set("limit", strconv.Itoa(s.Limit))
	}
	return q
}

// link is the URL of path with the search's query plus extra parameters.
func (s search) link(path string, extra ...string) string {
	q := s.values()
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// exportLink is the export of every match of the search in format (the
// page size is not the export's limit).
func (s search) exportLink(format string) string {
	s.Limit = defaultLimit
	return s.link("/ui/export", "format", format)
}

// Empty reports a search without any filter.
func (s search) Empty() bool {
	q := s.values()
	q.Del("limit")
	return len(q) == 0
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, pdp.InvalidField(name, "want a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// parseWhen reads a time as pdp audit query's --since and --until do: RFC
// 3339, a UTC date (its midnight) or a span back from now (90m, 24h, 7d).
func parseWhen(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly, "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, pdp.InvalidField(name, "want an RFC 3339 time, a date such as 2026-12-03 or a span such as 24h or 7d, not "+strconv.Quote(s))
}

// maxDays bounds a span in days so that it fits a duration.
const maxDays = 100 * 365

// parseAgo reads a span that is not negative: a Go duration or whole days.
func parseAgo(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n >= 0 && n <= maxDays
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

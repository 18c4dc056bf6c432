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
	audit.FilterArgs
	Limit int
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
		{[]string{"caller"}, &s.Caller}, {[]string{"bundle_revision", "bundle-revision"}, &s.BundleRevision},
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
func (s search) filter(now time.Time) (audit.Filter, error) { return s.FilterArgs.Filter(now) }

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

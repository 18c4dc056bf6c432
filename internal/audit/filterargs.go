package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// FilterArgs is a filter as people write it: the flags of pdp audit query
// and the parameters of the console's search page, with their spellings
// (TYPE:ID, allow|deny, dates and spans back from now).
type FilterArgs struct {
	Subject, Resource, Action, Decision, Since, Until, Caller    string
	BundleRevision, Reason, Entrypoint, Error, TraceID, Instance string
}

// Filter reads the args at now. A bad value is a pdp.InvalidField naming
// its argument (decision, since, until).
func (a FilterArgs) Filter(now time.Time) (Filter, error) {
	f := Filter{Action: a.Action, Caller: a.Caller, BundleRevision: a.BundleRevision, Reason: a.Reason,
		Entrypoint: a.Entrypoint, Error: a.Error, TraceID: a.TraceID, Instance: a.Instance}
	if typ, id, ok := strings.Cut(a.Subject, ":"); ok {
		f.SubjectType, f.SubjectID = typ, id
	} else {
		f.SubjectID = a.Subject
	}
	f.ResourceType, f.ResourceID, _ = strings.Cut(a.Resource, ":")
	switch a.Decision {
	case "":
	case "allow", "deny":
		allow := a.Decision == "allow"
		f.Allow = &allow
	default:
		return f, pdp.InvalidField("decision", "want allow or deny, not "+strconv.Quote(a.Decision))
	}
	var err error
	if f.Since, err = ParseWhen("since", a.Since, now); err != nil {
		return f, err
	}
	f.Until, err = ParseWhen("until", a.Until, now)
	return f, err
}

// ParseWhen reads an RFC 3339 time, a date (its midnight UTC), a minute
// (2026-12-03T10:30, as a browser's date-time field sends it, UTC) or a
// span back from now: a duration (90m, 24h) or whole days (7d). Empty is
// the zero time; a bad value is a pdp.InvalidField naming name.
func ParseWhen(name, s string, now time.Time) (time.Time, error) {
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
	return time.Time{}, pdp.InvalidField(name,
		"want an RFC 3339 time, a date such as 2026-12-03 or a span such as 24h or 7d, not "+strconv.Quote(s))
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

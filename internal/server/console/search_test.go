package console

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

func TestParseSearch(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	allow, deny := true, false
	cases := []struct {
		query   string
		want    audit.Filter
		limit   int
		errText string
	}{
		{"", audit.Filter{}, defaultLimit, ""},
		{"subject=user:alice&resource=document:d1&action=read&decision=allow", audit.Filter{SubjectType: "user", SubjectID: "alice",
			ResourceType: "document", ResourceID: "d1", Action: "read", Allow: &allow}, defaultLimit, ""},
		{"subject=alice&resource=document&decision=deny&limit=7", audit.Filter{SubjectID: "alice", ResourceType: "document", Allow: &deny}, 7, ""},
		{"since=24h&until=2026-12-04", audit.Filter{Since: now.Add(-24 * time.Hour), Until: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}, defaultLimit, ""},
		{"since=7d&until=2026-12-04T10:00:00Z", audit.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now.Add(-2 * time.Hour)}, defaultLimit, ""},
		{"bundle_revision=r1&trace_id=t1&caller=svc&reason=owner&entrypoint=authz/x&error=boom&instance=i1", audit.Filter{
			BundleRevision: "r1", TraceID: "t1", Caller: "svc", Reason: "owner", Entrypoint: "authz/x", Error: "boom", Instance: "i1"}, defaultLimit, ""},
		{"bundle-revision=r2&trace-id=t2", audit.Filter{BundleRevision: "r2", TraceID: "t2"}, defaultLimit, ""},
		{"decision=yes", audit.Filter{}, 0, "decision: want allow or deny"},
		{"since=-1h", audit.Filter{}, 0, "since: want an RFC 3339 time"},
		{"until=tomorrow", audit.Filter{}, 0, "until: want"},
		{"limit=0", audit.Filter{}, 0, "limit: want a whole number from 1 to 1000"},
		{"limit=1001", audit.Filter{}, 0, "limit:"},
		{"page_token=%25%25", audit.Filter{}, 0, "page_token"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			q, _ := url.ParseQuery(c.query)
			s, f, err := parseSearch(q, now)
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("error %v, want one containing %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameFilter(f, c.want) || s.Limit != c.limit {
				t.Errorf("filter %+v limit %d, want %+v limit %d", f, s.Limit, c.want, c.limit)
			}
		})
	}
}

func sameFilter(a, b audit.Filter) bool {
	if (a.Allow == nil) != (b.Allow == nil) || a.Allow != nil && *a.Allow != *b.Allow {
		return false
	}
	a.Allow, b.Allow = nil, nil
	return a == b
}

// TestSearchLinkRoundTrip: the link of a search reads back as the same
// search, so a page survives a reload and can be shared.
func TestSearchLinkRoundTrip(t *testing.T) {
	now := time.Now()
	q, _ := url.ParseQuery("subject=user:a b&decision=deny&since=2026-12-01&bundle-revision=r&limit=20&reason=x%26y")
	s, f, err := parseSearch(q, now)
	if err != nil {
		t.Fatal(err)
	}
	link := s.link("/ui/decisions")
	u, _ := url.Parse(link)
	s2, f2, err := parseSearch(u.Query(), now)
	if err != nil || !sameFilter(f, f2) || s2.Limit != 20 || u.Query().Get("bundle_revision") != "r" {
		t.Errorf("link %s reads back as %+v, %v; want %+v", link, f2, err, f)
	}
	if s.exportLink("csv") != "/ui/export?bundle_revision=r&decision=deny&format=csv&reason=x%26y&since=2026-12-01&subject=user%3Aa+b" {
		t.Errorf("export link %s", s.exportLink("csv"))
	}
}

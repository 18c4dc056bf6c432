package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pageCase is one request to a page and what its answer must hold.
type pageCase struct {
	name, caller string
	path         func(f *fixture) string
	status       int
	want, not    func(f *fixture) []string
}

func fixed(s ...string) func(*fixture) []string { return func(*fixture) []string { return s } }
func at(p string) func(*fixture) string         { return func(*fixture) string { return p } }

func runPages(t *testing.T, f *fixture, cases []pageCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := f.get(c.caller, c.path(f))
			if status != c.status {
				t.Fatalf("GET %s as %s: status %d, want %d\n%s", c.path(f), c.caller, status, c.status, mainOf(body))
			}
			if c.want != nil {
				contains(t, c.name, body, c.want(f)...)
			}
			if c.not != nil {
				lacks(t, c.name, body, c.not(f)...)
			}
		})
	}
}

// mainOf is the main element of a page, for failure messages.
func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	return body[:min(len(body), 3000)]
}

func count(n int) string { return `data-count="` + strconv.Itoa(n) + `"` }

func TestDecisionsPage(t *testing.T) {
	f := newFixture(t, 12)
	bobDenied := 0
	for _, r := range f.recs {
		if r.SubjectID == "bob" && !r.Allow && r.Action != spikeAction {
			bobDenied++
		}
	}
	runPages(t, f, []pageCase{
		{"every record", "auditor", at("/ui/decisions"), 200, fixed(count(14), "/ui/decisions/", "Records 1–14"), fixed(`rel="next"`)},
		{"filters in the URL", "auditor", at("/ui/decisions?subject=user:bob&decision=deny&action=delete"), 200,
			fixed(count(bobDenied), `value="user:bob"`, "<td>user:bob</td>"), fixed("<td>user:alice</td>", "<td>user:carol</td>")},
		{"flag spelling of bundle revision", "auditor", at("/ui/decisions?bundle-revision=nope"), 200, fixed(count(0), "No decisions match"), nil},
		{"a page of 5", "auditor", at("/ui/decisions?limit=5"), 200, fixed("Records 1–5 of", `rel="next"`, count(14)), nil},
		{"nothing matches", "auditor", at("/ui/decisions?subject=user:nobody"), 200, fixed("No decisions match these filters."), nil},
		{"bad since", "auditor", at("/ui/decisions?since=yesterday"), 400, fixed("since: want an RFC 3339 time", `value="yesterday"`), nil},
		{"bad decision", "auditor", at("/ui/decisions?decision=maybe"), 400, fixed("decision: want allow or deny"), nil},
		{"bad page token", "auditor", at("/ui/decisions?page_token=xyz"), 400, fixed("page_token"), nil},
		{"not an auditor", "author", at("/ui/decisions"), 403, fixed(`id="refusal"`, "/pdp.v1.AuditService/QueryDecisions", "--auditors"),
			fixed("user:alice", "/ui/decisions/0")},
	})
}

func TestDecisionsPaging(t *testing.T) {
	f := newFixture(t, 12)
	seen := map[string]bool{}
	path := "/ui/decisions?limit=5"
	for page := 1; path != ""; page++ {
		status, _, body := f.get("auditor", path)
		if status != http.StatusOK {
			t.Fatalf("page %d: status %d", page, status)
		}
		for _, m := range regexp.MustCompile(`href="/ui/decisions/([0-9a-f-]{36})"`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("page %d repeats decision %s", page, m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != len(f.recs) {
		t.Errorf("paging showed %d decisions, the trail holds %d", len(seen), len(f.recs))
	}
}

func TestDecisionPage(t *testing.T) {
	f := newFixture(t, 12)
	first, last, masked := f.recs[0].DecisionID, f.recs[11].DecisionID, f.recs[12].DecisionID
	runPages(t, f, []pageCase{
		{"under a signed checkpoint", "auditor", at("/ui/decisions/" + first), 200,
			fixed(first, "Verified:", "key:", "(this server's key)", "Input as recorded", "Place in the hash chain", "example-1", "billing"), nil},
		{"after the checkpoint", "auditor", at("/ui/decisions/" + last), 200, fixed("Chained:"), fixed("Verified:")},
		{"masked input", "auditor", at("/ui/decisions/" + masked), 200, fixed(`<mark class="masked"`, "/input/subject/attributes/ssn"), nil},
		{"explain again", "both", at("/ui/decisions/" + first + "?explain=1"), 200,
			fixed("Same revision as recorded", "Explanation", "by authz/decision"), nil},
		{"explain again, not an author", "auditor", at("/ui/decisions/" + first + "?explain=1"), 200,
			fixed("for policy authors"), fixed("by authz/decision")},
		{"may not verify", "reader", at("/ui/decisions/" + first), 200, fixed("may not call VerifyTrail"), fixed("Verified:")},
		{"unknown id", "auditor", at("/ui/decisions/no-such-id"), 404, fixed("no decision"), nil},
		{"not an auditor", "author", at("/ui/decisions/" + first), 403, fixed(`id="refusal"`, "GetDecision"), fixed(first + "</code>")},
	})
}

func TestOverviewPage(t *testing.T) {
	f := newFixture(t, 12)
	runPages(t, f, []pageCase{
		{"a day", "auditor", at("/ui/"), 200, func(f *fixture) []string {
			return []string{`<svg class="chart"`, "Denied actions", "delete", "RAISED", "user:bob", `id="chain-verdict"`,
				"<strong>ok</strong>", "deny</span> " + strconv.Itoa(f.denied(""))}
		}, fixed(spikeAction)},
		{"an hour", "auditor", at("/ui/?window=1h"), 200, fixed(`aria-current="true">1h`), nil},
		{"bad window", "auditor", at("/ui/?window=2h"), 400, fixed("window: want 1h, 24h, 7d or 30d"), nil},
		{"may not verify", "reader", at("/ui/"), 200, fixed("may not call VerifyTrail"), fixed(`id="chain-verdict"`)},
		{"not an auditor", "author", at("/ui/"), 403, fixed(`id="refusal"`), fixed(`<svg class="chart"`)},
	})
}

func TestEmptyTrail(t *testing.T) {
	f := newFixture(t, 0)
	runPages(t, f, []pageCase{
		{"overview", "auditor", at("/ui/"), 200, fixed("No decisions in this window.", "No denials."), nil},
		{"search", "auditor", at("/ui/decisions?action=read"), 200, fixed(count(0), "No decisions match these filters."), nil},
	})
}

func playLink(mode, request string, extra ...string) string {
	q := url.Values{"mode": {mode}, "request": {request}, "run": {"1"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/ui/playground?" + q.Encode()
}

const readRequest = `{"subject": {"type": "user", "id": "alice", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "read"}}`

func TestPlaygroundPage(t *testing.T) {
	f := newFixture(t, 6)
	from := func(f *fixture) string { return "/ui/playground?from=" + f.recs[1].DecisionID }
	runPages(t, f, []pageCase{
		{"the editor", "author", at("/ui/playground"), 200, fixed(`<textarea id="request"`, "&#34;subject&#34;"), fixed(`id="results"`)},
		{"a request", "author", at(playLink("request", readRequest)), 200,
			fixed(`id="results"`, "Active bundle", "by authz/decision", "No candidate given", `id="result-link"`), nil},
		{"an input document", "author", at(playLink("input", `{"subject": {"id": "x"}, "action": {"name": "read"}}`)), 200,
			fixed(`id="results"`, "by authz/decision"), nil},
		{"against a candidate", "author", at(playLink("request", readRequest, "candidate", candidateDir)), 200,
			fixed("candidate-2", `id="differences"`, "reasons"), fixed(`id="candidate-error"`)},
		{"a candidate that does not load", "author", at(playLink("request", readRequest, "candidate", "testdata/none")), 200,
			fixed(`id="candidate-error"`, "candidate: does not load"), nil},
		{"not JSON", "author", at(playLink("request", `{"subject": `)), 400, fixed(`id="playground-error"`, "request"), fixed(`id="results"`)},
		{"a request the server refuses", "author", at(playLink("request", `{"resource": {"type": "document"}, "action": {"name": "read"}}`)), 400,
			fixed("request.subject"), nil},
		{"from a decision", "both", from, 200, fixed(`id="prefilled"`, `value="input" checked`, "&#34;caller&#34;"), nil},
		{"from a decision, not an auditor", "author", from, 403, fixed("GetDecision"), fixed(`id="prefilled"`)},
		{"an auditor", "auditor", at("/ui/playground"), 403, fixed(`id="refusal"`, "with an explanation", "--policy-authors"), fixed("<textarea")},
	})
	t.Run("followed from another site", func(t *testing.T) {
		status, _, body := f.get("author", playLink("request", readRequest, "candidate", candidateDir), "Sec-Fetch-Site", "cross-site")
		if status != 200 {
			t.Fatalf("status %d", status)
		}
		contains(t, "cross-site", body, `id="deferred"`, "candidate-2"[:0]+candidateDir)
		lacks(t, "cross-site", body, `id="results"`)
	})
}

func TestReplayPage(t *testing.T) {
	f := newFixture(t, 6)
	run := "/ui/replay?candidate=" + url.QueryEscape(candidateDir) + "&run=1"
	runPages(t, f, []pageCase{
		{"the form", "both", at("/ui/replay"), 200, fixed(`name="since" value="24h"`), fixed(`id="report"`)},
		{"against a candidate", "both", at(run), 200,
			fixed(`id="report"`, "candidate-2", `id="n-records">8<`, `id="kinds"`, "reasons", "entrypoint_not_declared", `id="changes"`), nil},
		{"a range without decisions", "both", at(run + "&subject=user:nobody"), 200, fixed(`id="n-records">0<`, "No recorded decisions in this range."), nil},
		{"no candidate", "both", at("/ui/replay?run=1"), 400, fixed(`id="replay-error"`, "candidate"), nil},
		{"a bad filter", "both", at(run + "&until=soon"), 400, fixed("until: want"), fixed(`id="report"`)},
		{"an author who is not an auditor", "author", at(run), 403, fixed("QueryDecisions"), fixed(`id="report"`)},
		{"an auditor who is not an author", "auditor", at(run), 403, fixed("--policy-authors"), fixed(`id="report"`)},
	})
}

func TestExport(t *testing.T) {
	f := newFixture(t, 12)
	t.Run("csv", func(t *testing.T) {
		status, h, body := f.get("auditor", "/ui/export?format=csv")
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if status != 200 || len(lines) != len(f.recs)+1 {
			t.Fatalf("status %d, %d lines; want 200 and %d", status, len(lines), len(f.recs)+1)
		}
		if !strings.HasPrefix(lines[0], "seq,decision_id,time,") || !strings.HasSuffix(lines[0], ",verification,checkpoint_seq") {
			t.Errorf("header %q", lines[0])
		}
		if !strings.HasSuffix(lines[len(lines)-1], ",signed,10") || !strings.Contains(lines[1], ",chained,") {
			t.Errorf("oldest row %q, newest %q: want signed by the checkpoint at seq 10 and chained", lines[len(lines)-1], lines[1])
		}
		if v := h.Get("X-PDP-Trail-Verification"); !strings.HasPrefix(v, "ok; records=14; checkpoints=1") {
			t.Errorf("X-PDP-Trail-Verification %q", v)
		}
		if !strings.Contains(h.Get("Content-Disposition"), ".csv") {
			t.Errorf("Content-Disposition %q", h.Get("Content-Disposition"))
		}
	})
	t.Run("json lines", func(t *testing.T) {
		status, _, body := f.get("auditor", "/ui/export?format=jsonl&decision=deny&action=delete")
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if status != 200 || len(lines) != f.denied("delete") {
			t.Fatalf("status %d, %d lines; want 200 and %d", status, len(lines), f.denied("delete"))
		}
		for _, l := range lines {
			if !strings.Contains(l, `"allow":false`) || !strings.Contains(l, `"verification":"`) || !strings.Contains(l, `"action":"delete"`) {
				t.Errorf("line %s", l)
			}
		}
	})
	runPages(t, f, []pageCase{
		{"unknown format", "auditor", at("/ui/export?format=xml"), 400, fixed("format: want csv or jsonl"), nil},
		{"not an auditor", "author", at("/ui/export?format=csv"), 403, fixed(`id="refusal"`), fixed("decision_id")},
	})
	t.Run("caller may not verify", func(t *testing.T) {
		_, h, body := f.get("reader", "/ui/export?format=csv")
		if !strings.HasPrefix(h.Get("X-PDP-Trail-Verification"), "unknown") || !strings.Contains(body, ",unknown,") {
			t.Errorf("header %q; want unknown rows", h.Get("X-PDP-Trail-Verification"))
		}
	})
}

func TestGuard(t *testing.T) {
	f := newFixture(t, 2)
	t.Run("another host", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, "http://evil.example:7071/ui/decisions", nil)
		if status, _, body := f.do(req, "auditor"); status != http.StatusMisdirectedRequest || strings.Contains(body, "user:alice") {
			t.Errorf("status %d; want 421 without data", status)
		}
	})
	t.Run("a post from another site", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:7071/ui/playground", strings.NewReader("request=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, _, _ := f.do(req, "author", "Origin", "http://evil.example"); status != http.StatusForbidden {
			t.Errorf("status %d; want 403", status)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		_, h, _ := f.get("auditor", "/ui/decisions")
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers %v", h)
		}
	})
	runPages(t, f, []pageCase{
		{"style sheet", "", at("/ui/static/console.css"), 200, fixed(".verdict.deny"), nil},
		{"script", "", at("/ui/static/console.js"), 200, fixed("data-format-json"), nil},
		{"no listing", "", at("/ui/static/"), 404, nil, nil},
		{"unknown page", "auditor", at("/ui/nope"), 404, fixed("no page at /ui/nope"), nil},
		{"localhost", "auditor", at("/ui/decisions"), 200, nil, nil},
	})
}

// TestPlaygroundPost: a form without an upload redirects to its link; an
// upload is evaluated at once.
func TestPlaygroundPost(t *testing.T) {
	f := newFixture(t, 2)
	form := url.Values{"mode": {"request"}, "request": {readRequest}, "candidate": {candidateDir}}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:7071/ui/playground", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, h, _ := f.do(req, "author", "Origin", "http://127.0.0.1:7071")
	loc := h.Get("Location")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/playground?") || !strings.Contains(loc, "run=1") {
		t.Fatalf("status %d, Location %q; want 303 to the run's link", status, loc)
	}
	if status, _, body := f.get("author", loc); status != 200 || !strings.Contains(body, "candidate-2") {
		t.Errorf("following the redirect: status %d", status)
	}
}

package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/strictjson"
)

// Editor modes of the playground.
const (
	// ModeRequest: the editor holds a CheckRequest in JSON, as pdp check
	// and pdp eval read it; the server's defaults are applied.
	ModeRequest = "request"
	// ModeInput: the editor holds the input document as the policy sees
	// it (what a record keeps), evaluated as it is.
	ModeInput = "input"
)

const exampleRequest = `{
  "subject": {"type": "user", "id": "alice", "roles": ["viewer"]},
  "resource": {"type": "document", "id": "d1"},
  "action": {"name": "read"}
}`

// playgroundPage is the data of the playground.
type playgroundPage struct {
	Mode, Text, Entrypoint, Candidate string
	// From is the decision the editor was filled from, FromEntry its
	// record.
	From      string
	FromEntry *audit.Entry
	// Ran: the request was evaluated; Deferred: it would have been, but
	// the link came from another site, so the user must press Run.
	Ran, Deferred bool
	// Upload: the candidate was an uploaded file, which a link cannot
	// carry.
	Upload            bool
	Err               string
	Active, Cand      *evaluation
	ActiveErr         string
	CandErr, CandRev  string
	Differences, Link string
}

// playground is /ui/playground: a request evaluated with an explanation
// against the active bundle and, side by side, a candidate's.
func (c *Console) playground(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permAuthor)
	if !ok {
		return
	}
	page := playgroundFrom(r.URL.Query())
	if page.From != "" && page.Text == "" && !c.prefill(w, r, caller, &page) {
		return
	}
	page.defaults()
	if r.URL.Query().Get("run") == "1" {
		if page.Deferred = crossSite(r); !page.Deferred {
			c.run(r, &page, nil)
		}
	}
	c.render(w, r, statusOf(page.Err), "playground", "Playground", caller, page)
}

// playgroundPost takes the form when it carries an uploaded candidate;
// without one it redirects to the form's link, so that the result is a
// link that survives a reload.
func (c *Console) playgroundPost(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permAuthor)
	if !ok {
		return
	}
	if err := c.parseUpload(w, r); err != nil {
		c.failErr(w, r, err)
		return
	}
	page := playgroundFrom(r.Form)
	page.defaults()
	cand, err := c.openUpload(r.Context(), r, "bundle_file")
	if errors.Is(err, errNoUpload) {
		http.Redirect(w, r, page.link(), http.StatusSeeOther)
		return
	}
	page.Upload = true
	if err != nil {
		page.CandErr = publicMsg(err)
	}
	c.run(r, &page, cand)
	c.render(w, r, statusOf(page.Err), "playground", "Playground", caller, page)
}

func playgroundFrom(q url.Values) playgroundPage {
	return playgroundPage{Mode: q.Get("mode"), Text: q.Get("request"), Entrypoint: strings.TrimSpace(q.Get("entrypoint")),
		Candidate: strings.TrimSpace(q.Get("candidate")), From: strings.TrimSpace(q.Get("from"))}
}

func (p *playgroundPage) defaults() {
	if strings.TrimSpace(p.Text) == "" {
		p.Text, p.Mode = exampleRequest, ModeRequest
	}
	if p.Mode != ModeInput {
		p.Mode = ModeRequest
	}
}

// link is the deep link of the page's form, run.
func (p playgroundPage) link() string {
	q := url.Values{"mode": {p.Mode}, "request": {p.Text}, "run": {"1"}}
	for k, v := range map[string]string{"entrypoint": p.Entrypoint, "candidate": p.Candidate, "from": p.From} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return "/ui/playground?" + q.Encode()
}

// prefill fills the editor with a recorded decision's input, for a caller
// who may read it (else the refusal page, and false).
func (c *Console) prefill(w http.ResponseWriter, r *http.Request, caller string, p *playgroundPage) bool {
	if _, ok := c.allow(w, r, permGet); !ok {
		return false
	}
	e, err := c.opts.Trail.GetEntry(r.Context(), p.From)
	if errors.Is(err, audit.ErrNotFound) {
		err = pdp.InvalidField("from", "no decision "+p.From+" in the audit trail")
	}
	if err != nil {
		p.Err = publicMsg(err)
		return true
	}
	p.FromEntry, p.Mode, p.Text = &e, ModeInput, pretty(e.Input)
	if p.Entrypoint == "" {
		p.Entrypoint = e.Entrypoint
	}
	return true
}

// run evaluates the editor's request against the active bundle and the
// candidate (upload, else the one named), with explanations.
func (c *Console) run(r *http.Request, p *playgroundPage, upload *candidate) {
	q, err := p.query(c.opts.Now())
	if err != nil {
		p.Err = publicMsg(err)
		return
	}
	p.Ran, p.Link = true, p.link()
	if p.Active, err = c.evaluate(r, c.opts.Engine, q); err != nil {
		p.ActiveErr = publicMsg(err)
	}
	cand := upload
	if cand == nil && p.Candidate != "" && p.CandErr == "" {
		if cand, err = c.openCandidate(r.Context(), "candidate", p.Candidate); err != nil {
			p.CandErr = publicMsg(err)
		}
	}
	if cand == nil {
		return
	}
	p.Candidate, p.CandRev = cand.Source, cand.Revision
	if p.Cand, err = c.evaluate(r, cand.eng, q); err != nil {
		p.CandErr = publicMsg(err)
	}
	p.Differences = differences(p.Active, p.Cand)
}

// query is the editor's text as a query, explained.
func (p playgroundPage) query(now time.Time) (pdp.Query, error) {
	var q pdp.Query
	if p.Mode == ModeInput {
		if err := strictjson.Check([]byte(p.Text)); err != nil {
			return q, pdp.InvalidField("request", err.Error())
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(p.Text), &in); err != nil || in == nil {
			return q, pdp.InvalidField("request", "the input document must be a JSON object")
		}
		q = pdp.Query{Input: in}
	} else {
		req, err := authoring.RequestFromJSON([]byte(p.Text))
		if pdp.ErrorCode(err) == pdp.CodeInvalidArgument {
			return q, pdp.WithFieldPrefix(err, "request.")
		}
		if err != nil {
			return q, pdp.InvalidField("request", err.Error())
		}
		q = authoring.Query(req, now)
	}
	if p.Entrypoint != "" {
		q.Entrypoint = p.Entrypoint
	}
	q.Explain = true
	return q, nil
}

// differences says how the candidate's decision differs from the active
// one's, "" when it does not (or when either is missing).
func differences(a, b *evaluation) string {
	if a == nil || b == nil {
		return ""
	}
	var out []string
	if a.Allow != b.Allow {
		out = append(out, verdict(a.Allow)+" → "+verdict(b.Allow))
	}
	if strings.Join(a.Reasons, "\x00") != strings.Join(b.Reasons, "\x00") {
		out = append(out, "reasons")
	}
	if pretty(a.Obligations) != pretty(b.Obligations) {
		out = append(out, "obligations")
	}
	return strings.Join(out, ", ")
}

func statusOf(errText string) int {
	if errText != "" {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

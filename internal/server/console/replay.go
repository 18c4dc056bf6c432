package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/authoring"
)

const (
	// replayTimeout bounds one replay.
	replayTimeout = 5 * time.Minute
	// replayShown is how many changed decisions the page lists.
	replayShown = 500
)

// replayPage is the data of the replay page.
type replayPage struct {
	Search    search
	Candidate string
	// Ran, Deferred and Upload as on the playground.
	Ran, Deferred, Upload bool
	Err                   string
	Report                authoring.ReplayReport
	Kinds, Skipped        []count
	Changes               []authoring.Change
	More                  int
	Link                  string
}

// count is one labelled number of a report.
type count struct {
	Key string
	N   int
}

// replay is /ui/replay: the recorded decisions of a range of the trail
// re-evaluated against a candidate bundle (authoring.Replay, as pdp
// replay does), with what would change and counts by change kind.
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permQuery, permAuthor)
	if !ok {
		return
	}
	q := r.URL.Query()
	s, f, err := parseSearch(q, c.opts.Now())
	page := replayPage{Search: s, Candidate: strings.TrimSpace(q.Get("candidate"))}
	if len(q) == 0 {
		page.Search.Since = "24h" // a suggestion in the form; nothing runs yet
	}
	switch {
	case err != nil:
		page.Err = publicMsg(err)
	case q.Get("run") == "1" && page.Candidate == "":
		page.Err = "candidate: give a bundle (a path or URL the server can read, or upload a .tar.gz)"
	case q.Get("run") == "1" && crossSite(r):
		page.Deferred = true
	case q.Get("run") == "1":
		cand, err := c.openCandidate(r.Context(), "candidate", page.Candidate)
		c.runReplay(r, &page, f, cand, err)
	}
	c.render(w, r, statusOf(page.Err), "replay", "Replay", caller, page)
}

// replayPost takes the form with an uploaded candidate; without one it
// redirects to the form's link.
func (c *Console) replayPost(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permQuery, permAuthor)
	if !ok {
		return
	}
	if err := c.parseUpload(w, r); err != nil {
		c.failErr(w, r, err)
		return
	}
	s, f, err := parseSearch(r.Form, c.opts.Now())
	page := replayPage{Search: s, Candidate: strings.TrimSpace(r.FormValue("candidate"))}
	if err != nil {
		page.Err = publicMsg(err)
		c.render(w, r, http.StatusBadRequest, "replay", "Replay", caller, page)
		return
	}
	cand, err := c.openUpload(r.Context(), r, "bundle_file")
	if errors.Is(err, errNoUpload) {
		http.Redirect(w, r, s.link("/ui/replay", "candidate", page.Candidate, "run", "1"), http.StatusSeeOther)
		return
	}
	page.Upload = true
	c.runReplay(r, &page, f, cand, err)
	c.render(w, r, statusOf(page.Err), "replay", "Replay", caller, page)
}

func (c *Console) runReplay(r *http.Request, p *replayPage, f audit.Filter, cand *candidate, err error) {
	if err != nil {
		p.Err = publicMsg(err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), replayTimeout)
	defer cancel()
	rep, err := authoring.Replay(ctx, cand.eng, cand.Revision, c.opts.Trail.Query, f)
	if err != nil {
		c.opts.Logger.Warn("console replay", "caller", c.opts.Caller(r), "error", err)
		p.Err = publicMsg(err)
		return
	}
	c.opts.Logger.Info("console replay", "caller", c.opts.Caller(r), "bundle_revision", cand.Revision,
		"records", rep.Records, "changed", rep.Changed)
	p.Ran, p.Report, p.Candidate = true, rep, cand.Source
	if !p.Upload {
		p.Link = p.Search.link("/ui/replay", "candidate", cand.Source, "run", "1")
	}
	p.Kinds, p.Skipped = counts(rep.Kinds), counts(rep.NotReplayable)
	p.Changes = rep.Changes[:min(len(rep.Changes), replayShown)]
	p.More = len(rep.Changes) - len(p.Changes)
}

// counts lists m by key.
func counts(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	slices.SortFunc(out, func(a, b count) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// NotReplayable is the number of records replay could not honestly
// re-evaluate.
func (p replayPage) NotReplayable() int {
	n := 0
	for _, s := range p.Skipped {
		n += s.N
	}
	return n
}

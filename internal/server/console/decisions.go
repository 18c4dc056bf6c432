package console

import (
	"net/http"
	"strconv"

	"github.com/pdp-project/pdp/internal/audit"
)

// searchPage is the data of the search page.
type searchPage struct {
	Search search
	// Err is a bad filter; the form stays filled in so it can be fixed.
	Err     string
	Entries []audit.Entry
	// Count of all matches; Exact is false when only countCap were seen.
	Count int64
	Exact bool
	// Next is the link to the next page, First to the first (both empty
	// when there is none).
	Next, First string
	CSV, JSONL  string
}

// FromN and ToN number the records of the page (from 1).
func (p searchPage) FromN() int { return p.Search.From + 1 }
func (p searchPage) ToN() int   { return p.Search.From + len(p.Entries) }

// decisions is /ui/decisions: a search of the trail with the filters of
// pdp audit query, a page of matches newest first and their count.
func (c *Console) decisions(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permQuery)
	if !ok {
		return
	}
	s, f, err := parseSearch(r.URL.Query(), c.opts.Now())
	page := searchPage{Search: s}
	if err != nil {
		page.Err = publicMsg(err)
		c.render(w, r, http.StatusBadRequest, "decisions", "Decisions", caller, page)
		return
	}
	entries, next, err := c.opts.Trail.Query(r.Context(), f, audit.Page{Size: s.Limit, Token: s.Token})
	if err == nil {
		page.Count, page.Exact, err = c.count(r.Context(), f)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	page.Entries = entries
	if next != "" {
		page.Next = s.link("/ui/decisions", "page_token", next, "from", strconv.Itoa(s.From+len(entries)))
	}
	if s.Token != "" {
		page.First = s.link("/ui/decisions")
	}
	page.CSV, page.JSONL = s.exportLink("csv"), s.exportLink("jsonl")
	c.render(w, r, http.StatusOK, "decisions", "Decisions", caller, page)
}

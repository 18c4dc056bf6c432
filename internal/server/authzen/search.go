package authzen

import (
	"errors"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// kind is what a search looks for: the entity of the request that is left
// open and filled with each candidate in turn.
type kind string

const (
	searchSubject  kind = "subject"
	searchResource kind = "resource"
	searchAction   kind = "action"
)

// searchRequest is an AuthZEN search: an evaluation with one object open,
// and paging.
type searchRequest struct {
	evaluation
	Page pageRequest `json:"page"`
}

type pageRequest struct {
	Token string `json:"token"`
	Limit *int   `json:"limit"`
}

type searchResponse struct {
	Results []map[string]any `json:"results"`
	Page    page             `json:"page"`
}

type page struct {
	NextToken string `json:"next_token"`
	Count     int    `json:"count"`
	Total     int    `json:"total"`
}

// search answers a search in two steps through the decision use case: the
// candidates entrypoint lists the entities of the searched type, then the
// regular decision is evaluated for each candidate (each one audited), and
// the permitted candidates are returned in candidate order. The request and
// its page token are checked before anything is decided. A resource search
// that the candidates entrypoint gives no list for is answered from the
// resource table when one is configured (tablesearch.go).
func (a *API) search(k kind) handlerFunc {
	return func(r *http.Request) (any, error) {
		q, err := a.readSearch(r, k)
		if err != nil {
			return nil, err
		}
		cands, rev, err := a.candidatesOf(r, q)
		if errors.Is(err, errUseTable) {
			return a.searchTable(r, q)
		}
		if err != nil {
			return nil, err
		}
		if err := q.checkRevision(rev); err != nil {
			return nil, err
		}
		found, rev, err := a.permitted(r, q, cands, rev)
		if err != nil {
			return nil, err
		}
		return pageOf(found, q, rev), nil
	}
}

// pageOf cuts the page q asks for out of found; the next page's token
// binds its offset to q and to the bundle revision found was decided under.
func pageOf(found []map[string]any, q query, rev string) searchResponse {
	total := len(found)
	offset := min(q.offset, total)
	end := total
	if q.limit > 0 {
		end = min(offset+q.limit, total)
	}
	out := searchResponse{Results: found[offset:end], Page: page{Count: end - offset, Total: total}}
	if end < total {
		out.Page.NextToken = cursor{query: q.digest, revision: revisionDigest(rev), offset: end}.token()
	}
	return out
}

// permitted decides the candidates in batches of at most MaxBatch and
// returns those allowed, with the bundle revision they were decided under
// (mixedRevision when a bundle swap landed during the search).
func (a *API) permitted(r *http.Request, q query, cands []map[string]any, rev string) ([]map[string]any, string, error) {
	found := []map[string]any{}
	for start := 0; start < len(cands); start += a.dec.MaxBatch() {
		chunk := cands[start:min(start+a.dec.MaxBatch(), len(cands))]
		ok, seen, err := a.decideCandidates(r, q, chunk)
		if err != nil {
			return nil, "", err
		}
		found, rev = append(found, ok...), sameRevision(rev, seen)
	}
	return found, rev, nil
}

// decideCandidates evaluates the regular decision with each candidate in
// the open place; candidates that do not form a valid request are skipped.
// It also returns the revisions the decisions were made under.
func (a *API) decideCandidates(r *http.Request, q query, cands []map[string]any) ([]map[string]any, []string, error) {
	var reqs []pdp.Request
	var kept []map[string]any
	for _, c := range cands {
		req, err := toRequest(fill(q.kind, q.eval, c), q.caller)
		if err == nil && req.Validate() == nil {
			reqs, kept = append(reqs, req), append(kept, c)
		}
	}
	if len(reqs) == 0 {
		return nil, nil, nil
	}
	ds, err := a.dec.CheckBatch(r.Context(), reqs)
	if err != nil {
		return nil, nil, err
	}
	return allowed(kept, ds), revisions(ds), nil
}

func allowed(cands []map[string]any, ds []pdp.Decision) []map[string]any {
	var out []map[string]any
	for i, d := range ds {
		if d.Allow {
			out = append(out, cands[i])
		}
	}
	return out
}

// fill puts candidate c in the open place of e; a searched subject or
// resource keeps the properties the request gave it.
func fill(k kind, e evaluation, c map[string]any) evaluation {
	switch k {
	case searchSubject:
		e.Subject = withProperties(c, e.Subject)
	case searchResource:
		e.Resource = withProperties(c, e.Resource)
	default:
		e.Action = c
	}
	return e
}

func withProperties(c, open map[string]any) map[string]any {
	props, ok := open["properties"]
	if !ok {
		return c
	}
	out := map[string]any{"properties": props}
	for k, v := range c {
		out[k] = v
	}
	return out
}

func entity(k kind, e evaluation) map[string]any {
	if k == searchSubject {
		return e.Subject
	}
	return e.Resource
}

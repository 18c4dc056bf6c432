package authzen

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

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
	Page struct {
		Token string `json:"token"`
		Limit *int   `json:"limit"`
	} `json:"page"`
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
// the permitted candidates are returned in candidate order.
func (a *API) search(k kind) handlerFunc {
	return func(r *http.Request) (any, error) {
		var s searchRequest
		if err := decode(r, maxEvaluationBytes, &s); err != nil {
			return nil, err
		}
		offset, limit, err := paging(s)
		if err != nil {
			return nil, err
		}
		if err := checkOpen(k, s.evaluation); err != nil {
			return nil, err
		}
		found, err := a.permitted(r, k, s.evaluation)
		if err != nil {
			return nil, err
		}
		return pageOf(found, offset, limit), nil
	}
}

func paging(s searchRequest) (offset, limit int, err error) {
	if s.Page.Limit != nil {
		if limit = *s.Page.Limit; limit < 0 {
			return 0, 0, pdp.InvalidField("page.limit", "must not be negative")
		}
	}
	if s.Page.Token != "" {
		if offset, err = strconv.Atoi(s.Page.Token); err != nil || offset < 0 {
			return 0, 0, pdp.InvalidField("page.token", "is not a token this PDP issued")
		}
	}
	return offset, limit, nil
}

func pageOf(found []map[string]any, offset, limit int) searchResponse {
	total := len(found)
	offset = min(offset, total)
	end := total
	if limit > 0 {
		end = min(offset+limit, total)
	}
	out := searchResponse{Results: found[offset:end], Page: page{Count: end - offset, Total: total}}
	if end < total {
		out.Page.NextToken = strconv.Itoa(end)
	}
	return out
}

// checkOpen validates the objects a search needs: all but the open one
// must be complete, and the open one needs its type (an action has none).
func checkOpen(k kind, e evaluation) error {
	if k != searchSubject {
		if _, err := toSubject(e.Subject); err != nil {
			return err
		}
	} else if _, _, err := typeAndID("subject", e.Subject, false); err != nil {
		return err
	}
	if _, err := toResource(e.Resource, k != searchResource); err != nil {
		return err
	}
	if k != searchAction {
		_, err := toAction(e.Action)
		return err
	}
	return nil
}

func (a *API) permitted(r *http.Request, k kind, e evaluation) ([]map[string]any, error) {
	cands, err := a.candidatesOf(r, k, e)
	if err != nil {
		return nil, err
	}
	found := []map[string]any{}
	for start := 0; start < len(cands); start += a.dec.MaxBatch() {
		chunk := cands[start:min(start+a.dec.MaxBatch(), len(cands))]
		ok, err := a.decideCandidates(r, k, e, chunk)
		if err != nil {
			return nil, err
		}
		found = append(found, ok...)
	}
	return found, nil
}

// decideCandidates evaluates the regular decision with each candidate in
// the open place; candidates that do not form a valid request are skipped.
func (a *API) decideCandidates(r *http.Request, k kind, e evaluation, cands []map[string]any) ([]map[string]any, error) {
	var reqs []pdp.Request
	var kept []map[string]any
	for _, c := range cands {
		req, err := toRequest(fill(k, e, c), a.caller(r))
		if err == nil && req.Validate() == nil {
			reqs, kept = append(reqs, req), append(kept, c)
		}
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	ds, err := a.dec.CheckBatch(r.Context(), reqs)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for i, d := range ds {
		if d.Allow {
			out = append(out, kept[i])
		}
	}
	return out, nil
}

// fill puts candidate c in the open place of e; a searched subject keeps
// the properties the request gave it.
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

// candidatesOf asks the candidates entrypoint for the entities of the
// searched kind and type: its input has resource {type: kind, id: type}
// and the request's context as environment; its result carries them in
// obligations.candidates.
func (a *API) candidatesOf(r *http.Request, k kind, e evaluation) ([]map[string]any, error) {
	typ := ""
	if k != searchAction {
		typ, _ = entity(k, e)["type"].(string)
	}
	req := pdp.Request{
		Subject:     pdp.Subject{Type: "pdp", ID: "authzen-search"},
		Resource:    pdp.Resource{Type: string(k), ID: typ},
		Action:      pdp.Action{Name: "search"},
		Environment: e.Context, Policy: a.candidates, Caller: a.caller(r),
	}
	d, err := a.dec.Check(r.Context(), req)
	if err != nil {
		if pdp.ErrorCode(err) == pdp.CodeInvalidArgument && isPolicyError(err) {
			return nil, &pdp.Error{Code: codeNotImplemented, Msg: fmt.Sprintf(
				"search is not available: the active bundle declares no entrypoint %q", a.candidates)}
		}
		return nil, err
	}
	return candidateList(d)
}

func entity(k kind, e evaluation) map[string]any {
	if k == searchSubject {
		return e.Subject
	}
	return e.Resource
}

func isPolicyError(err error) bool {
	var e *pdp.Error
	return errors.As(err, &e) && e.Field == "policy"
}

func candidateList(d pdp.Decision) ([]map[string]any, error) {
	if !d.Allow {
		return nil, nil
	}
	list, _ := d.Obligations["candidates"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

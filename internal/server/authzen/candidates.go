package authzen

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Why a candidate is dropped.
const (
	dropWrongType = "wrong_type"
	dropMalformed = "malformed"
	dropDuplicate = "duplicate"
)

// candidatesOf asks the candidates entrypoint for the entities of the
// searched kind and type, and the bundle revision it answered under. A
// result that breaks the contract fails closed: no candidates, logged.
// When the entrypoint gives no list (it is not declared, does not allow,
// or names no candidates) and the resource table can answer, the error is
// errUseTable.
func (a *API) candidatesOf(r *http.Request, q query) ([]map[string]any, string, error) {
	d, err := a.dec.Check(r.Context(), a.lookup(q))
	if err != nil && isPolicyError(err) && a.fromTable(q.kind) {
		return nil, "", errUseTable
	}
	if err != nil {
		return nil, "", a.lookupError(err)
	}
	list, err := candidateList(d)
	if errors.Is(err, errNoList) && a.fromTable(q.kind) {
		return nil, "", errUseTable
	}
	if err != nil {
		a.log.Warn("search candidates unusable; answering no results", "path", r.URL.Path,
			"decision_id", d.ID, "bundle_revision", d.BundleRevision, "error", err)
		return nil, d.BundleRevision, nil
	}
	return a.sift(r, q, list, d), d.BundleRevision, nil
}

// lookup is the candidates question: resource {type: kind, id: type
// searched}, and the request's context as environment.
func (a *API) lookup(q query) pdp.Request {
	typ, _ := opening(q.kind, q.eval)["type"].(string)
	return pdp.Request{
		Subject:     pdp.Subject{Type: "pdp", ID: "authzen-search"},
		Resource:    pdp.Resource{Type: string(q.kind), ID: typ},
		Action:      pdp.Action{Name: "search"},
		Environment: q.eval.Context, Policy: a.candidates, Caller: q.caller,
	}
}

func (a *API) lookupError(err error) error {
	if pdp.ErrorCode(err) == pdp.CodeInvalidArgument && isPolicyError(err) {
		return &pdp.Error{Code: codeNotImplemented, Msg: fmt.Sprintf(
			"search is not available: the active bundle declares no entrypoint %q", a.candidates)}
	}
	return err
}

func isPolicyError(err error) bool {
	var e *pdp.Error
	return errors.As(err, &e) && e.Field == "policy"
}

// candidateList is obligations.candidates of an allowing decision.
func candidateList(d pdp.Decision) ([]any, error) {
	if !d.Allow {
		return nil, fmt.Errorf("%w: the candidates entrypoint did not allow (reasons %v) %s", errNoList, d.Reasons, d.Err)
	}
	v, ok := d.Obligations["candidates"]
	if !ok {
		return nil, fmt.Errorf("%w: obligations.candidates is missing", errNoList)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("obligations.candidates is a %T, not an array", v)
	}
	return list, nil
}

// sift keeps the candidates that are entities of the searched kind and
// type, the first of each, reduced to what a search result holds: type and
// id (an action: its name). What it drops is logged once.
func (a *API) sift(r *http.Request, q query, list []any, d pdp.Decision) []map[string]any {
	typ, _ := opening(q.kind, q.eval)["type"].(string)
	seen := map[string]bool{}
	dropped := map[string]int{}
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		c, key, why := candidate(q.kind, typ, v)
		if why == "" && seen[key] {
			why = dropDuplicate
		}
		if why != "" {
			dropped[why]++
			continue
		}
		seen[key], out = true, append(out, c)
	}
	a.logDropped(r, typ, dropped, d)
	return out
}

func (a *API) logDropped(r *http.Request, typ string, dropped map[string]int, d pdp.Decision) {
	if len(dropped) == 0 {
		return
	}
	a.log.Warn("search candidates dropped", "path", r.URL.Path, "type", typ,
		dropWrongType, dropped[dropWrongType], dropMalformed, dropped[dropMalformed],
		dropDuplicate, dropped[dropDuplicate], "decision_id", d.ID, "bundle_revision", d.BundleRevision)
}

// candidate reduces v to a search result and its identity, or says why it
// is not a candidate of the search.
func candidate(k kind, typ string, v any) (map[string]any, string, string) {
	m, _ := v.(map[string]any)
	if k == searchAction {
		return actionCandidate(m)
	}
	t, okType := m["type"].(string)
	id, okID := m["id"].(string)
	switch {
	case !okType || !okID || id == "":
		return nil, "", dropMalformed
	case t != typ:
		return nil, "", dropWrongType
	}
	return map[string]any{"type": t, "id": id}, id, ""
}

func actionCandidate(m map[string]any) (map[string]any, string, string) {
	name, ok := m["name"].(string)
	if !ok || name == "" {
		return nil, "", dropMalformed
	}
	return map[string]any{"name": name}, name, ""
}

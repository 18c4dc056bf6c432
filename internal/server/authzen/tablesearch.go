package authzen

import (
	"context"
	"errors"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Planner answers resource plans (the decision use case's Plan): which
// resources of a type the subject may act on, and the id of the plan's
// audit record.
type Planner interface {
	Plan(ctx context.Context, req pdp.Request) (plan pdp.ResourcePlan, id string, err error)
}

// errUseTable: the candidates entrypoint gives no list for a resource
// search and a resource table is configured, so the table answers.
var errUseTable = errors.New("no candidate list; the resource table answers")

// errNoList: the candidates entrypoint's answer holds no list (it did not
// allow, or obligations.candidates is missing).
var errNoList = errors.New("no candidate list")

// fromTable reports whether a search of kind k without a candidate list
// is answered from the resource table.
func (a *API) fromTable(k kind) bool {
	return k == searchResource && a.table != nil && a.planner != nil
}

// searchTable answers a resource search from a plan: the rows of the
// resource table that the plan's SQL selects, in id order, a page at a
// time. The plan is audited like a decision; a page token binds the
// search and the bundle revision the plan was made under.
func (a *API) searchTable(r *http.Request, q query) (any, error) {
	req, err := planRequest(q)
	if err != nil {
		return nil, err
	}
	plan, id, err := a.planner.Plan(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if err := q.checkRevision(plan.BundleRevision); err != nil {
		return nil, err
	}
	ids, total, err := a.table.Select(r.Context(), plan, q.limit, q.offset)
	if err != nil {
		return nil, err
	}
	a.log.Debug("search answered from the resource table", "path", r.URL.Path, "decision_id", id,
		"bundle_revision", plan.BundleRevision, "plan", plan.Kind.String(), "total", total)
	return tablePage(req.Resource.Type, ids, total, q, plan.BundleRevision), nil
}

// planRequest is the search as a plan request: the resource holds only
// its type (its id and properties are what the plan leaves open).
func planRequest(q query) (pdp.Request, error) {
	probe := opening(q.kind, q.eval)
	probe[nameKey(q.kind)] = "candidate"
	req, err := toRequest(fill(q.kind, q.eval, probe), q.caller)
	req.Resource = pdp.Resource{Type: req.Resource.Type}
	return req, err
}

// tablePage is one page of a table search; the next page's token follows
// the rows returned.
func tablePage(typ string, ids []string, total int, q query, rev string) searchResponse {
	results := make([]map[string]any, len(ids))
	for i, id := range ids {
		results[i] = map[string]any{"type": typ, "id": id}
	}
	out := searchResponse{Results: results, Page: page{Count: len(ids), Total: total}}
	if end := q.offset + len(ids); len(ids) > 0 && end < total {
		out.Page.NextToken = cursor{query: q.digest, revision: revisionDigest(rev), offset: end}.token()
	}
	return out
}

package authzen

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// query is a validated search: what it looks for, the request, who asks,
// and the page it wants.
type query struct {
	kind   kind
	eval   evaluation
	caller string
	digest queryDigest
	limit  int
	offset int
	// token is the page token the request sent, nil on a first page.
	token *cursor
}

// readSearch decodes and validates a search, its page token included,
// before anything is decided.
func (a *API) readSearch(r *http.Request, k kind) (query, error) {
	var s searchRequest
	if err := decode(r, maxEvaluationBytes, &s); err != nil {
		return query{}, err
	}
	q := query{kind: k, eval: s.evaluation, caller: a.caller(r)}
	if err := q.validate(); err != nil {
		return query{}, err
	}
	var err error
	if q.digest, err = digestOf(q); err != nil {
		return query{}, err
	}
	return q, q.setPage(s.Page)
}

// validate checks a search like an evaluation: all but the open object must
// be complete, the open one needs its type (an action has none), and the
// request with a candidate in the open place must be one the decision
// service accepts (depth, UTF-8, ...). Fields are named as the caller sent
// them.
func (q query) validate() error {
	if err := checkOpen(q.kind, q.eval); err != nil {
		return err
	}
	probe := opening(q.kind, q.eval)
	probe[nameKey(q.kind)] = "candidate"
	req, err := toRequest(fill(q.kind, q.eval, probe), q.caller)
	if err != nil {
		return err
	}
	return callerFields(req.Validate())
}

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

// opening is what a search keeps of its open object: its type (an action
// has none). Its id, if sent, is ignored.
func opening(k kind, e evaluation) map[string]any {
	if k == searchAction {
		return map[string]any{}
	}
	return map[string]any{"type": entity(k, e)["type"]}
}

// nameKey is the member that names a candidate of kind k.
func nameKey(k kind) string {
	if k == searchAction {
		return "name"
	}
	return "id"
}

// queryDigest identifies a search: its kind, its caller and its request
// as the search uses it, the page left out.
type queryDigest [16]byte

func digestOf(q query) (queryDigest, error) {
	b, err := json.Marshal(struct {
		Kind   kind       `json:"kind"`
		Caller string     `json:"caller"`
		Eval   evaluation `json:"eval"`
	}{q.kind, q.caller, fill(q.kind, q.eval, opening(q.kind, q.eval))})
	if err != nil {
		return queryDigest{}, fmt.Errorf("digest of search: %w", err)
	}
	sum := sha256.Sum256(b)
	return queryDigest(sum[:16]), nil
}

// setPage reads page: a negative limit, or a token that is not one this
// PDP issued for this very search, is refused.
func (q *query) setPage(p pageRequest) error {
	if p.Limit != nil {
		if q.limit = *p.Limit; q.limit < 0 {
			return pdp.InvalidField("page.limit", "must not be negative")
		}
	}
	if p.Token == "" {
		return nil
	}
	c, err := parseToken(p.Token)
	if err != nil {
		return err
	}
	if c.query != q.digest {
		return pdp.InvalidField("page.token", "belongs to another search; send it with the subject, action, resource and context of the search that returned it")
	}
	q.token, q.offset = &c, c.offset
	return nil
}

// checkRevision refuses a page token issued under another bundle revision
// than rev, the one the candidates were listed under now.
func (q query) checkRevision(rev string) error {
	if q.token == nil || q.token.revision == revisionDigest(rev) {
		return nil
	}
	return pdp.InvalidField("page.token", "was issued under another policy bundle revision, so the results may have changed; start over without page.token")
}

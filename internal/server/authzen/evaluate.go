package authzen

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Values of options.evaluations_semantic.
const (
	executeAll          = "execute_all"
	denyOnFirstDeny     = "deny_on_first_deny"
	permitOnFirstPermit = "permit_on_first_permit"
)

// result is one AuthZEN decision.
type result struct {
	Decision bool           `json:"decision"`
	Context  map[string]any `json:"context,omitempty"`
}

type batchResult struct {
	Evaluations []result `json:"evaluations"`
}

// batch is an AuthZEN access evaluations request: top-level defaults and
// items that override whole objects.
type batch struct {
	evaluation
	Evaluations []json.RawMessage `json:"evaluations"`
	Options     struct {
		Semantic string `json:"evaluations_semantic"`
	} `json:"options"`
}

func (a *API) evaluation(r *http.Request) (any, error) {
	var e evaluation
	if err := decode(r, maxEvaluationBytes, &e); err != nil {
		return nil, err
	}
	return a.evaluateOne(r, e)
}

func (a *API) evaluateOne(r *http.Request, e evaluation) (any, error) {
	req, err := toRequest(e, a.caller(r))
	if err != nil {
		return nil, err
	}
	d, err := a.dec.Check(r.Context(), req)
	if err != nil {
		return nil, callerFields(err)
	}
	return a.answers(r)(d), nil
}

// answers returns how decisions are answered to the caller of r: with
// their decision id, so that the caller can find the audit record, and
// with their reasons when the caller may see them.
func (a *API) answers(r *http.Request) func(pdp.Decision) result {
	reasons := a.reasons != nil && a.reasons(r.Context(), r.URL.Path, a.caller(r))
	return func(d pdp.Decision) result { return toResult(d, reasons) }
}

func toResult(d pdp.Decision, reasons bool) result {
	res := result{Decision: d.Allow, Context: map[string]any{"decision_id": d.ID}}
	if len(d.Obligations) > 0 {
		res.Context["obligations"] = d.Obligations
	}
	if reasons && len(d.Reasons) > 0 {
		res.Context["reasons"] = d.Reasons
	}
	return res
}

func (a *API) evaluations(r *http.Request) (any, error) {
	var b batch
	if err := decode(r, maxBatchBytes, &b); err != nil {
		return nil, err
	}
	if len(b.Evaluations) == 0 {
		return a.evaluateOne(r, b.evaluation)
	}
	if n, max := len(b.Evaluations), a.dec.MaxBatch(); n > max {
		return nil, pdp.InvalidField("evaluations", fmt.Sprintf("holds %d items; at most %d are allowed", n, max))
	}
	items := a.items(r, b)
	switch b.Options.Semantic {
	case "", executeAll:
		return a.executeAll(r, items)
	case denyOnFirstDeny:
		return a.untilFirst(r, items, false)
	case permitOnFirstPermit:
		return a.untilFirst(r, items, true)
	default:
		return nil, pdp.InvalidField("options.evaluations_semantic",
			fmt.Sprintf("is %q; want %s, %s or %s", b.Options.Semantic, executeAll, denyOnFirstDeny, permitOnFirstPermit))
	}
}

// item is one batch entry: a request to decide, or the error that takes
// its place in the answer.
type item struct {
	req pdp.Request
	err error
}

func (a *API) items(r *http.Request, b batch) []item {
	caller := a.caller(r)
	out := make([]item, len(b.Evaluations))
	for i, raw := range b.Evaluations {
		out[i].req, out[i].err = itemRequest(b.evaluation, raw, caller)
		out[i].err = itemError(out[i].err, i)
	}
	return out
}

// itemError names an item that is wrong as a whole (not an object) by its
// index; an error about one of its fields keeps the field's name, the
// answer's place saying which item it is.
func itemError(err error, i int) error {
	var e *pdp.Error
	if !errors.As(err, &e) || e.Field != "request" {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("evaluations[%d]", i)
	return &c
}

func itemRequest(defaults evaluation, raw json.RawMessage, caller string) (pdp.Request, error) {
	var over evaluation
	if err := json.Unmarshal(raw, &over); err != nil {
		return pdp.Request{}, badBody(err, maxBatchBytes)
	}
	e := merge(defaults, over)
	req, err := toRequest(e, caller)
	if err != nil {
		return req, err
	}
	return req, callerFields(req.Validate())
}

// merge overrides whole objects of defaults with those the item carries.
func merge(defaults, item evaluation) evaluation {
	if item.Subject != nil {
		defaults.Subject = item.Subject
	}
	if item.Resource != nil {
		defaults.Resource = item.Resource
	}
	if item.Action != nil {
		defaults.Action = item.Action
	}
	if item.Context != nil {
		defaults.Context = item.Context
	}
	return defaults
}

// executeAll decides every valid item in one batch (one audit transaction);
// an invalid item answers its error in place.
func (a *API) executeAll(r *http.Request, items []item) (any, error) {
	var reqs []pdp.Request
	for _, it := range items {
		if it.err == nil {
			reqs = append(reqs, it.req)
		}
	}
	answer := a.answers(r)
	var ds []pdp.Decision
	if len(reqs) > 0 {
		var err error
		if ds, err = a.dec.CheckBatch(r.Context(), reqs); err != nil {
			return nil, err
		}
	}
	out := batchResult{Evaluations: make([]result, len(items))}
	for i, it := range items {
		if it.err != nil {
			out.Evaluations[i] = failed(it.err)
			continue
		}
		out.Evaluations[i], ds = answer(ds[0]), ds[1:]
	}
	return out, nil
}

// untilFirst decides items in order and stops after the first whose
// decision is stop (an invalid item is a deny).
func (a *API) untilFirst(r *http.Request, items []item, stop bool) (any, error) {
	out := batchResult{Evaluations: []result{}}
	answer := a.answers(r)
	for _, it := range items {
		res, err := a.decideItem(r, it, answer)
		if err != nil {
			return nil, err
		}
		out.Evaluations = append(out.Evaluations, res)
		if res.Decision == stop {
			break
		}
	}
	return out, nil
}

func (a *API) decideItem(r *http.Request, it item, answer func(pdp.Decision) result) (result, error) {
	if it.err != nil {
		return failed(it.err), nil
	}
	d, err := a.dec.Check(r.Context(), it.req)
	if err != nil {
		return result{}, err
	}
	return answer(d), nil
}

func failed(err error) result {
	return result{Decision: false, Context: map[string]any{"error": err.Error()}}
}

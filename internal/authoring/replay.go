package authoring

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Kinds of change a replay reports.
const (
	ChangeAllowToDeny = "allow->deny"
	ChangeDenyToAllow = "deny->allow"
	ChangeReasons     = "reasons"
	ChangeObligations = "obligations"
)

// Why a record is not replayable.
const (
	SkipNonDeterministic = "non_deterministic"
	SkipMaskedInputRead  = "masked_input_read"
	SkipEntrypoint       = "entrypoint_not_declared"
)

// Source reads one page of recorded decisions (audit/sqlite Store.Query,
// or the AuditService over gRPC).
type Source func(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error)

// Evaluator is what replay needs of the engine holding the candidate.
type Evaluator interface {
	Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error)
	Plan(entrypoint string) (pdp.Plan, error)
}

// Outcome of a decision, as recorded or as replayed.
type Verdict struct {
	Allow       bool           `json:"allow"`
	Reasons     []string       `json:"reasons"`
	Obligations map[string]any `json:"obligations"`
}

// Change is one recorded decision the candidate decides differently.
type Change struct {
	DecisionID string   `json:"decision_id"`
	Time       string   `json:"time"`
	Subject    string   `json:"subject"`
	Action     string   `json:"action"`
	Resource   string   `json:"resource"`
	Entrypoint string   `json:"entrypoint"`
	Kinds      []string `json:"changes"`
	Old        Verdict  `json:"old"`
	New        Verdict  `json:"new"`
}

// ReplayReport counts what a replay found.
type ReplayReport struct {
	Candidate     string         `json:"candidate_revision"`
	Records       int            `json:"records"`
	Replayed      int            `json:"replayed"`
	Unchanged     int            `json:"unchanged"`
	Changed       int            `json:"changed"`
	NotReplayable map[string]int `json:"not_replayable"`
	Kinds         map[string]int `json:"kinds"`
	Changes       []Change       `json:"-"`
}

// Replay re-evaluates every record f selects (read newest first, page by
// page) under the candidate, with the recorded entrypoint and the recorded
// input, and reports what would change. Records it cannot honestly replay
// are counted, never guessed.
func Replay(ctx context.Context, cand Evaluator, revision string, src Source, f audit.Filter) (ReplayReport, error) {
	rep := ReplayReport{Candidate: revision, NotReplayable: map[string]int{}, Kinds: map[string]int{}}
	page := audit.Page{Size: audit.MaxPageSize}
	for {
		entries, next, err := src(ctx, f, page)
		if err != nil {
			return rep, fmt.Errorf("read recorded decisions: %w", err)
		}
		for _, e := range entries {
			if err := rep.replay(ctx, cand, e.Record); err != nil {
				return rep, err
			}
		}
		if next == "" || len(entries) == 0 {
			return rep, nil
		}
		page.Token = next
	}
}

func (rep *ReplayReport) replay(ctx context.Context, cand Evaluator, r pdp.Record) error {
	rep.Records++
	if why := notReplayable(cand, r); why != "" {
		rep.NotReplayable[why]++
		return nil
	}
	res, err := cand.Evaluate(ctx, pdp.Query{Entrypoint: r.Entrypoint, Input: r.Input})
	if err != nil {
		return fmt.Errorf("replay decision %s: %w", r.DecisionID, err)
	}
	rep.Replayed++
	kinds := compare(r, res)
	if len(kinds) == 0 {
		rep.Unchanged++
		return nil
	}
	rep.Changed++
	for _, k := range kinds {
		rep.Kinds[k]++
	}
	rep.Changes = append(rep.Changes, newChange(r, res, kinds))
	return nil
}

// notReplayable says why r cannot be replayed under cand, "" when it can.
func notReplayable(cand Evaluator, r pdp.Record) string {
	plan, err := cand.Plan(r.Entrypoint)
	switch {
	case err != nil:
		return SkipEntrypoint
	case !plan.Deterministic:
		return SkipNonDeterministic
	case r.MaskError || readsMasked(plan, r.Masked):
		return SkipMaskedInputRead
	}
	return ""
}

// readsMasked reports whether the plan reads any input path that masking
// changed: a masked path and a read path overlap when one is a prefix of
// the other.
func readsMasked(plan pdp.Plan, masked []string) bool {
	for _, ptr := range masked {
		path := pointerPath(ptr)
		if plan.WholeInput || len(path) == 0 {
			return true
		}
		for _, read := range plan.InputPaths {
			if isPrefix(read, path) || isPrefix(path, read) {
				return true
			}
		}
	}
	return false
}

// pointerPath turns "/input/subject/attributes/ssn" into its path under
// input, unescaping ~1 and ~0.
func pointerPath(ptr string) []string {
	rest := strings.TrimPrefix(strings.TrimPrefix(ptr, "/input"), "/")
	if rest == "" {
		return nil
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts
}

func isPrefix(prefix, path []string) bool {
	return len(prefix) <= len(path) && slices.Equal(prefix, path[:len(prefix)])
}

func compare(r pdp.Record, res pdp.Result) []string {
	var kinds []string
	switch {
	case r.Allow && !res.Allow:
		kinds = append(kinds, ChangeAllowToDeny)
	case !r.Allow && res.Allow:
		kinds = append(kinds, ChangeDenyToAllow)
	}
	if !slices.Equal(nonNil(r.Reasons), nonNil(res.Reasons)) {
		kinds = append(kinds, ChangeReasons)
	}
	if !sameJSON(objOrEmpty(r.Obligations), objOrEmpty(res.Obligations)) {
		kinds = append(kinds, ChangeObligations)
	}
	return kinds
}

func newChange(r pdp.Record, res pdp.Result, kinds []string) Change {
	return Change{
		DecisionID: r.DecisionID, Time: r.Time.UTC().Format(audit.TimeFormat),
		Subject: joinID(r.SubjectType, r.SubjectID), Resource: joinID(r.ResourceType, r.ResourceID),
		Action: r.Action, Entrypoint: r.Entrypoint, Kinds: kinds,
		Old: Verdict{r.Allow, nonNil(r.Reasons), objOrEmpty(r.Obligations)},
		New: Verdict{res.Allow, nonNil(res.Reasons), objOrEmpty(res.Obligations)},
	}
}

func joinID(typ, id string) string {
	if typ == "" {
		return id
	}
	return typ + ":" + id
}

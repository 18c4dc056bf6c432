package postgres

import (
	"context"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
)

// Trail is the chain of one instance in the fleet's trail: what
// audit.Verify reads, and the reads of a single replica's trail (query,
// get, tail) limited to that instance.
type Trail struct {
	store    *Store
	instance string
}

var _ audit.ChainSource = Trail{}

// Trail returns the chain of instance.
func (s *Store) Trail(instance string) Trail { return Trail{store: s, instance: instance} }

// Instance is the id of the trail's instance.
func (t Trail) Instance() string { return t.instance }

// Entries calls fn for every entry with seq > after, in chain order.
func (t Trail) Entries(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	return t.store.Entries(ctx, t.instance, after, fn)
}

// Checkpoints returns every checkpoint of the chain.
func (t Trail) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	return t.store.Checkpoints(ctx, t.instance)
}

// After returns up to limit entries with seq > after, in chain order.
func (t Trail) After(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	return t.store.After(ctx, t.instance, after, limit)
}

// Head returns the seq of the newest entry shipped (0 when none).
func (t Trail) Head(ctx context.Context) (int64, error) {
	seq, _, err := t.store.Head(ctx, t.instance)
	return seq, err
}

// Query is Store.Query within the chain.
func (t Trail) Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	f.Instance = t.instance
	return t.store.Query(ctx, f, p)
}

// GetEntry returns the entry of decisionID if it is in the chain.
func (t Trail) GetEntry(ctx context.Context, decisionID string) (audit.Entry, error) {
	row, err := t.store.GetRow(ctx, decisionID)
	if err == nil && row.Instance != t.instance {
		err = fmt.Errorf("decision %q of instance %q: %w", decisionID, t.instance, audit.ErrNotFound)
	}
	return row.Entry, err
}

// Verify checks the chain and its checkpoints.
func (t Trail) Verify(ctx context.Context, opts audit.VerifyOptions) (audit.Report, error) {
	return audit.Verify(ctx, t, opts)
}

// VerifyAll verifies the chain of every instance and reports each by
// instance id; a broken chain is a report with Break set, not an error.
func (s *Store) VerifyAll(ctx context.Context, opts audit.VerifyOptions) (map[string]audit.Report, error) {
	ids, err := s.Instances(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]audit.Report, len(ids))
	for _, id := range ids {
		rep, err := s.Trail(id).Verify(ctx, opts)
		if err != nil {
			return out, fmt.Errorf("verify instance %q: %w", id, err)
		}
		out[id] = rep
	}
	return out, nil
}

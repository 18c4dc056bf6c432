// Package audittest holds test helpers for audit stores: the conformance
// suite every audit.Store backend runs (Run) and an in-memory Store for the
// tests of packages that write audit records.
package audittest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Memory is an in-memory audit.Store with the semantics of a real one: each
// Append is all or nothing, decision ids are unique, records come back as
// they would from a database (UTC time, microsecond latency, JSON values).
type Memory struct {
	mu     sync.Mutex
	recs   []pdp.Record
	byID   map[string]int
	closed bool
}

var _ audit.Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{byID: map[string]int{}}
}

// Append stores recs, all or none.
func (m *Memory) Append(ctx context.Context, recs []pdp.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	norm, err := normalizeAll(recs)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkNew(norm); err != nil {
		return err
	}
	for _, r := range norm {
		m.byID[r.DecisionID] = len(m.recs)
		m.recs = append(m.recs, r)
	}
	return nil
}

func (m *Memory) checkNew(recs []pdp.Record) error {
	if m.closed {
		return fmt.Errorf("memory audit store is closed")
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if _, dup := m.byID[r.DecisionID]; dup || seen[r.DecisionID] {
			return fmt.Errorf("decision %q: duplicate decision id", r.DecisionID)
		}
		seen[r.DecisionID] = true
	}
	return nil
}

// Get returns the record of decisionID.
func (m *Memory) Get(ctx context.Context, decisionID string) (pdp.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byID[decisionID]
	if !ok {
		return pdp.Record{}, fmt.Errorf("decision %q: %w", decisionID, audit.ErrNotFound)
	}
	return m.recs[i], nil
}

// Ping fails once the store is closed.
func (m *Memory) Ping(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("memory audit store is closed")
	}
	return ctx.Err()
}

// Close makes later Appends and Pings fail.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// Records returns every stored record in append order.
func (m *Memory) Records() []pdp.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]pdp.Record(nil), m.recs...)
}

func normalizeAll(recs []pdp.Record) ([]pdp.Record, error) {
	out := make([]pdp.Record, len(recs))
	for i, r := range recs {
		n, err := Normalize(r)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// Normalize returns r as a store gives it back: time in UTC, latency in
// whole microseconds, reasons, obligations and input through JSON (numbers
// become float64; absent values become empty, non-nil ones). Its error wraps
// audit.ErrInvalidRecord when r cannot be stored.
func Normalize(r pdp.Record) (pdp.Record, error) {
	if r.DecisionID == "" {
		return r, fmt.Errorf("%w: empty decision id", audit.ErrInvalidRecord)
	}
	r.Time = r.Time.UTC()
	r.Latency = r.Latency.Truncate(time.Microsecond)
	r.Reasons = append([]string{}, r.Reasons...)
	var err error
	if r.Obligations, err = roundTrip(r.DecisionID, "obligations", r.Obligations); err != nil {
		return r, err
	}
	if r.Input, err = roundTrip(r.DecisionID, "input", r.Input); err != nil || r.Plan == nil {
		return r, err
	}
	r.Plan, err = roundTrip(r.DecisionID, "plan", r.Plan)
	return r, err
}

func roundTrip(id, field string, m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: decision %q: %s: %v", audit.ErrInvalidRecord, id, field, err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: decision %q: %s: %v", audit.ErrInvalidRecord, id, field, err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

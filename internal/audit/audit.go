// Package audit records every decision the PDP makes. A Store persists
// records, one transaction per call; a Writer gathers concurrent writes into
// group commits so that the cost of a durable transaction is shared by many
// decisions. Backends live in subpackages named after what they adapt
// (audit/sqlite); audittest holds the conformance suite every backend runs.
package audit

import (
	"context"
	"errors"

	"github.com/pdp-project/pdp/internal/pdp"
)

// ErrNotFound is wrapped by Store.Get when no record has the decision id.
var ErrNotFound = errors.New("audit record not found")

// ErrInvalidRecord is wrapped by Store.Append when a record cannot be stored
// at all (no decision id, a value JSON cannot represent such as NaN). It
// tells a Writer that retrying the other writes of a group commit without
// the offending one can succeed.
var ErrInvalidRecord = errors.New("invalid audit record")

// ErrClosed is wrapped by Writer.Write after Writer.Close.
var ErrClosed = errors.New("audit writer closed")

// Store persists audit records.
type Store interface {
	// Append stores recs in one transaction: all of them or none. An empty
	// slice is a no-op.
	Append(ctx context.Context, recs []pdp.Record) error
	// Get returns the record of one decision, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, decisionID string) (pdp.Record, error)
	// Ping reports whether the store accepts writes (used by /readyz).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

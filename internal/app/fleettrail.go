package app

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/server"
)

// fleetTrail serves the AuditService from the fleet's database: queries and
// lookups across every replica; tail follows this replica's own chain (the
// order of a chain is per instance); verify checks every instance's chain.
type fleetTrail struct {
	db       *fleetDB
	instance string
	pub      ed25519.PublicKey // this replica's checkpoint key
}

var _ server.AuditTrail = fleetTrail{}

func (t fleetTrail) Query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	pg, err := t.db.store(ctx)
	if err != nil {
		return nil, "", err
	}
	return pg.Query(ctx, f, p)
}

func (t fleetTrail) GetEntry(ctx context.Context, decisionID string) (audit.Entry, error) {
	pg, err := t.db.store(ctx)
	if err != nil {
		return audit.Entry{}, err
	}
	return pg.GetEntry(ctx, decisionID)
}

func (t fleetTrail) After(ctx context.Context, seq int64, limit int) ([]audit.Entry, error) {
	pg, err := t.db.store(ctx)
	if err != nil {
		return nil, err
	}
	return pg.Trail(t.instance).After(ctx, seq, limit)
}

func (t fleetTrail) Head(ctx context.Context) (int64, error) {
	pg, err := t.db.store(ctx)
	if err != nil {
		return 0, err
	}
	return pg.Trail(t.instance).Head(ctx)
}

// Verify checks the chain and checkpoints of every instance (this
// replica's checkpoints against its own key) and reports the first break,
// naming its instance, with the counts of all.
func (t fleetTrail) Verify(ctx context.Context) (audit.Report, error) {
	pg, err := t.db.store(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	ids, err := pg.Instances(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	var sum audit.Report
	for _, id := range ids {
		opts := audit.VerifyOptions{}
		if id == t.instance {
			opts.PublicKey = t.pub
		}
		rep, err := audit.Verify(ctx, pg.Trail(id), opts)
		if err != nil {
			return sum, fmt.Errorf("verify instance %q: %w", id, err)
		}
		addReport(&sum, rep, id)
	}
	return sum, nil
}

// addReport adds the report of one instance to the sum of all.
func addReport(sum *audit.Report, rep audit.Report, instance string) {
	sum.Records += rep.Records
	sum.Checkpoints += rep.Checkpoints
	if sum.FirstSeq == 0 || rep.FirstSeq < sum.FirstSeq {
		sum.FirstSeq = rep.FirstSeq
	}
	sum.LastSeq = max(sum.LastSeq, rep.LastSeq)
	if rep.Break != nil && sum.Break == nil {
		b := *rep.Break
		b.Reason = fmt.Sprintf("instance %s: %s", instance, b.Reason)
		sum.Break = &b
	}
}

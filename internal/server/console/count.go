package console

import (
	"context"

	"github.com/pdp-project/pdp/internal/audit"
)

// tally is a count of records grouped one way; Complete is false when a
// trail that cannot count in its store was paged through only up to
// countCap records.
type tally struct {
	Groups   []audit.Group
	Complete bool
}

// groups counts the records f selects, grouped by by: in the trail's own
// store when it can (as pdp audit stats does with a database file), else
// by paging through the AuditTrail's query (as it does with a server).
func (c *Console) groups(ctx context.Context, f audit.Filter, by string) (tally, error) {
	if g, ok := c.opts.Trail.(grouper); ok {
		gs, err := g.Stats(ctx, f, by)
		return tally{Groups: gs, Complete: true}, err
	}
	t, token, seen := audit.Tally{}, "", 0
	for seen < countCap {
		entries, next, err := c.opts.Trail.Query(ctx, f, audit.Page{Size: audit.MaxPageSize, Token: token})
		if err != nil {
			return tally{}, err
		}
		for _, e := range entries {
			t.Add(e, by)
		}
		seen += len(entries)
		if token = next; token == "" {
			return tally{Groups: t.Groups(), Complete: true}, nil
		}
	}
	return tally{Groups: t.Groups()}, nil
}

// total is the number of records in the tally (grouped by a field every
// record has exactly one value of), allowed and denied.
func (t tally) total() (allow, deny int64) {
	for _, g := range t.Groups {
		allow += g.Allow
		deny += g.Deny
	}
	return allow, deny
}

// without subtracts another tally's counts key by key (the deny-spike
// alarm's own records from the decisions around them), dropping groups
// left empty.
func (t tally) without(o tally) tally {
	sub := make(map[string]audit.Group, len(o.Groups))
	for _, g := range o.Groups {
		sub[g.Key] = g
	}
	out := tally{Complete: t.Complete && o.Complete}
	for _, g := range t.Groups {
		s := sub[g.Key]
		g.Allow, g.Deny = max(0, g.Allow-s.Allow), max(0, g.Deny-s.Deny)
		if g.Allow+g.Deny > 0 {
			out.Groups = append(out.Groups, g)
		}
	}
	return out
}

// count is the number of records f selects.
func (c *Console) count(ctx context.Context, f audit.Filter) (int64, bool, error) {
	t, err := c.groups(ctx, f, "action")
	allow, deny := t.total()
	return allow + deny, t.Complete, err
}

package console

import (
	"context"
	"slices"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// alarmEvents is how many of the newest deny-spike records the overview
// reads to tell which alarms are raised.
const alarmEvents = 1000

// alarm is the state of the deny-spike alarm of one caller or subject, as
// its newest record in the trail tells it.
type alarm struct {
	Scope, Key string
	Since      time.Time
	// Denies and Total are the counts of the window that raised it.
	Denies, Total   int64
	Ratio, Baseline float64
	// Stale: raised before this server started, whose detector has
	// forgotten it (an alarm never subsides across a restart).
	Stale bool
	Link  string
}

// alarms finds the alarms whose newest record raised them, and the newest
// alarm records.
func (c *Console) alarms(ctx context.Context, p *overviewPage) error {
	if c.opts.SpikeAction == "" {
		return nil
	}
	entries, _, err := c.opts.Trail.Query(ctx, audit.Filter{Action: c.opts.SpikeAction}, audit.Page{Size: alarmEvents})
	if err != nil {
		return err
	}
	p.Events = entries[:min(len(entries), 10)]
	seen := map[string]bool{}
	for _, e := range entries { // newest first: the first record of a key is its state
		if seen[e.ResourceID] {
			continue
		}
		seen[e.ResourceID] = true
		if slices.Contains(e.Reasons, "deny_spike_raised") {
			p.Alarms = append(p.Alarms, c.alarmOf(e))
		}
	}
	return nil
}

func (c *Console) alarmOf(e audit.Entry) alarm {
	o := e.Obligations
	a := alarm{Scope: str(o["scope"]), Key: str(o["key"]), Since: e.Time, Denies: int64(num(o["denies"])),
		Total: int64(num(o["total"])), Ratio: num(o["ratio"]), Baseline: num(o["baseline"]), Stale: !c.opts.Started.IsZero() && e.Time.Before(c.opts.Started)}
	s := search{FilterArgs: audit.FilterArgs{Decision: "deny", Since: e.Time.UTC().Format(time.RFC3339)}}
	if a.Scope == "caller" {
		s.Caller = a.Key
	} else {
		s.Subject = a.Key
	}
	a.Link = s.link("/ui/decisions")
	return a
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return 0
}

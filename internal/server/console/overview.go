package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/pdp"
)

// window is a span of the overview, cut into buckets of Step.
type window struct {
	Name       string
	Span, Step time.Duration
}

var windows = []window{
	{"1h", time.Hour, 5 * time.Minute}, {"24h", 24 * time.Hour, time.Hour},
	{"7d", 7 * 24 * time.Hour, 6 * time.Hour}, {"30d", 30 * 24 * time.Hour, 24 * time.Hour},
}

// topN is how many keys each top list shows.
const topN = 8

// overviewPage is the data of the overview.
type overviewPage struct {
	Window      window
	Windows     []window
	Since       time.Time
	Until       time.Time
	Chart       chart
	Allow, Deny int64
	// Approx: a trail that cannot count in its store was paged through
	// only partly.
	Approx    bool
	Top       []topList
	Alarms    []alarm
	Events    []audit.Entry
	Bundles   bundle.Status
	MayVerify bool
	Chain     chainState
	ServerFP  string
}

// overview is /ui/: decisions over time, the most denied subjects,
// resources, actions and reasons over a window, the deny-spike alarms,
// the active bundles and the chain's state.
func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permQuery)
	if !ok {
		return
	}
	win, err := windowOf(r.URL.Query().Get("window"))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	page := overviewPage{Window: win, Windows: windows, Bundles: c.opts.Bundles(), ServerFP: c.opts.Fingerprint(c.opts.PublicKey)}
	page.Until = c.opts.Now().UTC().Truncate(win.Step).Add(win.Step)
	page.Since = page.Until.Add(-win.Span)
	for _, step := range []func(context.Context, *overviewPage) error{c.series, c.tops, c.alarms} {
		if err := step(r.Context(), &page); err != nil {
			c.failErr(w, r, err)
			return
		}
	}
	if page.MayVerify = c.may(r.Context(), caller, permVerify); page.MayVerify {
		page.Chain = c.chain.get(r.Context())
	}
	c.render(w, r, http.StatusOK, "overview", "Overview", caller, page)
}

func windowOf(name string) (window, error) {
	if name == "" {
		return windows[1], nil
	}
	for _, w := range windows {
		if w.Name == name {
			return w, nil
		}
	}
	return window{}, pdp.InvalidField("window", "want 1h, 24h, 7d or 30d")
}

// decided counts the decisions f selects by action, leaving out the
// deny-spike alarm's own records.
func (c *Console) decided(ctx context.Context, f audit.Filter, by string) (tally, error) {
	t, err := c.groups(ctx, f, by)
	if err != nil || c.opts.SpikeAction == "" {
		return t, err
	}
	f.Action = c.opts.SpikeAction
	spikes, err := c.groups(ctx, f, by)
	return t.without(spikes), err
}

// series counts allows and denies per bucket of the window.
func (c *Console) series(ctx context.Context, p *overviewPage) error {
	var buckets []bucket
	for t := p.Since; t.Before(p.Until); t = t.Add(p.Window.Step) {
		tl, err := c.decided(ctx, audit.Filter{Since: t, Until: t.Add(p.Window.Step)}, "action")
		if err != nil {
			return err
		}
		b := bucket{Start: t, End: t.Add(p.Window.Step)}
		b.Allow, b.Deny = tl.total()
		p.Allow, p.Deny, p.Approx = p.Allow+b.Allow, p.Deny+b.Deny, p.Approx || !tl.Complete
		buckets = append(buckets, b)
	}
	p.Chart = newChart(buckets, p.Window.Step)
	return nil
}

// topList is the most denied keys of one grouping.
type topList struct {
	Title, By string
	Rows      []topRow
}

// topRow is one key with its counts and the search of its denials.
type topRow struct {
	Key         string
	Deny, Total int64
	// Width is the deny bar's length (0 to barMax).
	Width int
	Link  string
}

const barMax = 200

func (c *Console) tops(ctx context.Context, p *overviewPage) error {
	for _, l := range []struct{ title, by, param string }{
		{"Denied subjects", "subject", "subject"}, {"Denied resources", "resource", "resource"},
		{"Denied actions", "action", "action"}, {"Deny reasons", "reason", "reason"},
	} {
		t, err := c.decided(ctx, audit.Filter{Since: p.Since, Until: p.Until}, l.by)
		if err != nil {
			return err
		}
		p.Approx = p.Approx || !t.Complete
		p.Top = append(p.Top, topList{Title: l.title, By: l.by, Rows: p.topRows(t.Groups, l.param)})
	}
	return nil
}

// topRows are the topN groups with the most denials.
func (p *overviewPage) topRows(groups []audit.Group, param string) []topRow {
	groups = slices.DeleteFunc(slices.Clone(groups), func(g audit.Group) bool { return g.Deny == 0 })
	slices.SortStableFunc(groups, func(a, b audit.Group) int { return cmp.Compare(b.Deny, a.Deny) })
	groups = groups[:min(len(groups), topN)]
	rows := make([]topRow, 0, len(groups))
	for _, g := range groups {
		s := search{FilterArgs: audit.FilterArgs{Decision: "deny", Since: p.Since.Format(time.RFC3339), Until: p.Until.Format(time.RFC3339)}}
		s.set(param, g.Key)
		rows = append(rows, topRow{Key: g.Key, Deny: g.Deny, Total: g.Allow + g.Deny,
			Width: int(g.Deny * barMax / max(groups[0].Deny, 1)), Link: s.link("/ui/decisions")})
	}
	return rows
}

// set sets the search field that the URL parameter name fills.
func (s *search) set(name, v string) {
	for _, f := range s.fields() {
		if f.names[0] == name {
			*f.v = v
		}
	}
}

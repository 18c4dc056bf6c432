package audit

import (
	"cmp"
	"fmt"
	"slices"
)

// Groupings of Stats: what a group of records shares.
var StatsGroupings = []string{"action", "reason", "subject", "resource", "caller", "bundle_revision"}

// Group is one row of Stats: the records sharing Key, allowed and denied.
type Group struct {
	Key   string `json:"key"`
	Allow int64  `json:"allow"`
	Deny  int64  `json:"deny"`
}

// CheckGrouping refuses a grouping Stats does not know.
func CheckGrouping(by string) error {
	if !slices.Contains(StatsGroupings, by) {
		return fmt.Errorf("group by %q: want one of %v", by, StatsGroupings)
	}
	return nil
}

// GroupKeys are the keys e counts under when grouped by by: one, or, by
// reason, one per reason (none for a record without reasons).
func GroupKeys(e Entry, by string) []string {
	switch by {
	case "action":
		return []string{e.Action}
	case "reason":
		return e.Reasons
	case "subject":
		return []string{e.SubjectType + ":" + e.SubjectID}
	case "resource":
		return []string{e.ResourceType + ":" + e.ResourceID}
	case "caller":
		return []string{e.Caller}
	}
	return []string{e.BundleRevision}
}

// Tally counts entries into groups (a store that cannot group in its own
// query language, or a client paging through a remote trail, uses it).
type Tally map[string]*Group

// Add counts e under its keys.
func (t Tally) Add(e Entry, by string) {
	for _, k := range GroupKeys(e, by) {
		g := t[k]
		if g == nil {
			g = &Group{Key: k}
			t[k] = g
		}
		if e.Allow {
			g.Allow++
		} else {
			g.Deny++
		}
	}
}

// Merge adds the counts of groups.
func (t Tally) Merge(groups []Group) {
	for _, g := range groups {
		if t[g.Key] == nil {
			t[g.Key] = &Group{Key: g.Key}
		}
		t[g.Key].Allow += g.Allow
		t[g.Key].Deny += g.Deny
	}
}

// Groups returns the groups, most records first (then by key).
func (t Tally) Groups() []Group {
	out := make([]Group, 0, len(t))
	for _, g := range t {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Allow+b.Deny, a.Allow+a.Deny), cmp.Compare(a.Key, b.Key))
	})
	return out
}

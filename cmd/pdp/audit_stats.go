package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
)

// runAuditStats prints allow and deny counts per group of the records the
// filters select: `pdp audit stats --group-by action --since 1h`.
func runAuditStats(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("audit stats", e)
	var tf trailFlags
	var ff filterFlags
	tf.define(fs)
	ff.define(fs)
	by := fs.String("group-by", "action", "group by `field`: action, reason, subject, resource, caller or bundle_revision")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := audit.CheckGrouping(*by); err != nil {
		return usagef("--group-by: %v", err)
	}
	f, err := ff.filter(time.Now())
	if err != nil {
		return err
	}
	tr, err := tf.open(ctx)
	if err != nil {
		return err
	}
	defer tr.close()
	groups, err := statsOf(ctx, tr, f, *by)
	if err != nil {
		return err
	}
	return printGroups(e.stdout, tf.format, *by, groups[:min(len(groups), ff.limit)])
}

// grouper is a trail that counts in its own store (a database file).
type grouper interface {
	stats(ctx context.Context, f audit.Filter, by string) ([]audit.Group, error)
}

// statsOf counts in the trail's store when it can, else pages through
// every matching record and counts them here (a server's trail).
func statsOf(ctx context.Context, tr trail, f audit.Filter, by string) ([]audit.Group, error) {
	if g, ok := tr.(grouper); ok {
		return g.stats(ctx, f, by)
	}
	tally, token := audit.Tally{}, ""
	for {
		entries, next, err := tr.query(ctx, f, audit.Page{Size: audit.MaxPageSize, Token: token})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			tally.Add(e, by)
		}
		if token = next; token == "" {
			return tally.Groups(), nil
		}
	}
}

func (t *localTrail) stats(ctx context.Context, f audit.Filter, by string) ([]audit.Group, error) {
	return t.store.Stats(ctx, f, by)
}

// printGroups prints groups as a table, JSON Lines or CSV.
func printGroups(w io.Writer, format, by string, groups []audit.Group) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, g := range groups {
			if err := enc.Encode(g); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		c := csv.NewWriter(w)
		_ = c.Write([]string{by, "allow", "deny"})
		for _, g := range groups {
			_ = c.Write([]string{g.Key, strconv.FormatInt(g.Allow, 10), strconv.FormatInt(g.Deny, 10)})
		}
		c.Flush()
		return c.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tALLOW\tDENY\tTOTAL\n", by)
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", g.Key, g.Allow, g.Deny, g.Allow+g.Deny)
	}
	if len(groups) == 0 {
		fmt.Fprintln(tw, "0 groups")
	}
	return tw.Flush()
}

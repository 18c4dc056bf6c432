package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/authoring"
)

// runReplay is pdp replay --bundle CANDIDATE (--audit-db PATH | --addr ADDR)
// [--since ..] [filters] [--format table|json] [--fail-on-change]: the
// recorded decisions re-evaluated under the candidate, and what changes.
func runReplay(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("replay", e)
	var tf trailFlags
	var ff filterFlags
	tf.define(fs)
	fs.Lookup("format").Usage = "output `format`: table or json (JSON Lines)" // a report, not records: no csv
	ff.define(fs)
	candidate := fs.String("bundle", "", "candidate bundle `path`: a directory or .tar.gz (required)")
	failOnChange := fs.Bool("fail-on-change", false, "exit 1 when any replayed decision changes (for CI)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := ff.filter(time.Now())
	if err != nil {
		return err
	}
	if err := replayUsage(fs, *candidate, tf.format); err != nil {
		return err
	}
	rep, err := replay(ctx, &tf, *candidate, f)
	if err != nil {
		return err
	}
	if err := printReplay(e, rep, tf.format, ff.limit); err != nil {
		return err
	}
	if *failOnChange && rep.Changed > 0 {
		return fmt.Errorf("replay: %d of %d replayed decisions would change", rep.Changed, rep.Replayed)
	}
	return nil
}

func replayUsage(fs *flag.FlagSet, candidate, format string) error {
	switch {
	case candidate == "" || fs.NArg() > 0:
		return usagef("usage: pdp replay --bundle CANDIDATE (--audit-db PATH | --addr ADDR) [filters] [--format table|json] [--fail-on-change]")
	case format != "table" && format != "json":
		return usagef("--format %q: want table or json", format)
	}
	return existing("--bundle", candidate)
}

func replay(ctx context.Context, tf *trailFlags, candidate string, f audit.Filter) (authoring.ReplayReport, error) {
	eng, err := authoring.Open(ctx, candidate)
	if err != nil {
		return authoring.ReplayReport{}, err
	}
	revision, _ := eng.Revision()
	t, err := tf.open(ctx)
	if err != nil {
		return authoring.ReplayReport{}, err
	}
	defer t.close()
	return authoring.Replay(ctx, eng, revision, t.query, f)
}

func printReplay(e env, rep authoring.ReplayReport, format string, limit int) error {
	if format == "json" {
		authoring.WriteReplaySummary(e.stderr, rep)
		return authoring.WriteReplayJSON(e.stdout, rep)
	}
	return authoring.WriteReplayTable(e.stdout, rep, limit)
}

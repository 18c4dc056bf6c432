package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"os"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// runAudit dispatches `pdp audit query|show|verify|tail`.
func runAudit(ctx context.Context, e env, args []string) error {
	subs := map[string]func(context.Context, env, []string) error{
		"query": runAuditQuery, "show": runAuditShow, "verify": runAuditVerify, "tail": runAuditTail,
		"stats": runAuditStats,
	}
	return dispatch(ctx, e, "audit", []string{"query", "show", "verify", "tail", "stats"}, subs, args)
}

// defaultAddr is the server of the trail when neither --addr nor --audit-db
// is given.
const defaultAddr = "127.0.0.1:7070"

// trailFlags choose the trail (a server or a database file) and the output.
type trailFlags struct {
	addr, db, format string
	timeout          time.Duration
	tls              clientTLS
	fleet            fleetFlags // audit_fleet.go
}

func (t *trailFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&t.addr, "addr", "", "gRPC `address` of the PDP (the caller must be in its --auditors; default "+defaultAddr+")")
	fs.StringVar(&t.db, "audit-db", "", "read the trail directly from this SQLite `file` instead of a server")
	fs.StringVar(&t.format, "format", "table", "output `format`: table, json (JSON Lines) or csv")
	fs.DurationVar(&t.timeout, "timeout", 30*time.Second, "deadline of each call to the server")
	t.tls.define(fs)
	t.fleet.define(fs)
}

func (t *trailFlags) check() error {
	if err := t.fleet.check(t); err != nil {
		return err
	}
	if t.addr != "" && t.db != "" {
		return usagef("--addr and --audit-db are alternatives: give one (a server or a database file)")
	}
	if t.db != "" && t.tls.enabled() {
		return usagef("--tls-* flags apply to a server (--addr), not to --audit-db")
	}
	switch t.format {
	case "table", "json", "csv":
		return nil
	}
	return usagef("--format %q: want table, json or csv", t.format)
}

// open returns the trail the flags name: the fleet's in PostgreSQL with
// --audit-url, the file when --audit-db is set (missing: a usage error),
// else the server at --addr.
func (t *trailFlags) open(ctx context.Context) (trail, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if t.fleet.url != "" {
		return t.fleet.open(ctx)
	}
	if t.db == "" {
		return dialTrail(&t.tls, cmp.Or(t.addr, defaultAddr), t.timeout)
	}
	if _, err := os.Stat(t.db); err != nil {
		return nil, usagef("--audit-db %q: %v", t.db, err)
	}
	return openLocalTrail(ctx, t.db)
}

// parseNoArgs parses flags of a command that takes no positional argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// filterFlags are the filters of query.
type filterFlags struct {
	args  audit.FilterArgs
	limit int
}

func (f *filterFlags) define(fs *flag.FlagSet) {
	f.defineMatch(fs)
	fs.StringVar(&f.args.Since, "since", "", "from this `time`: RFC 3339, a UTC date (2026-12-03) or this long ago (24h, 7d)")
	fs.StringVar(&f.args.Until, "until", "", "before this `time`: RFC 3339, a UTC date (2026-12-03) or this long ago (24h, 7d)")
	fs.IntVar(&f.limit, "limit", 100, "print at most `N` records")
}

// defineMatch defines the filters on a record's fields (tail takes these).
func (f *filterFlags) defineMatch(fs *flag.FlagSet) {
	fs.StringVar(&f.args.Subject, "subject", "", "subject `ID` or TYPE:ID")
	fs.StringVar(&f.args.Resource, "resource", "", "resource `TYPE[:ID]`")
	fs.StringVar(&f.args.Action, "action", "", "action `name`")
	fs.StringVar(&f.args.Decision, "decision", "", "`allow|deny`: only allowed or only denied decisions")
	fs.StringVar(&f.args.Caller, "caller", "", "calling service `id`")
	fs.StringVar(&f.args.BundleRevision, "bundle-revision", "", "bundle `revision`")
	fs.StringVar(&f.args.Reason, "reason", "", "only decisions with this `reason`")
	fs.StringVar(&f.args.Entrypoint, "entrypoint", "", "only decisions of this entrypoint (a data `path`)")
	fs.StringVar(&f.args.Error, "error", "", "only decisions whose evaluation error contains this `text`")
	fs.StringVar(&f.args.TraceID, "trace-id", "", "only the decisions of this trace (W3C trace `id`)")
}

func (f *filterFlags) filter(now time.Time) (audit.Filter, error) {
	out, err := f.args.Filter(now)
	var bad *pdp.Error
	if errors.As(err, &bad) {
		return out, usagef("--%s", bad.Error())
	}
	if err == nil && f.limit <= 0 {
		err = usagef("--limit must be positive")
	}
	return out, err
}

func runAuditQuery(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("audit query", e)
	var tf trailFlags
	var ff filterFlags
	tf.define(fs)
	ff.define(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
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
	out := newPrinter(e.stdout, tf.format)
	token, printed := "", 0
	for left := ff.limit; left > 0; {
		entries, next, err := tr.query(ctx, f, audit.Page{Size: min(left, audit.MaxPageSize), Token: token})
		if err != nil {
			return err
		}
		for _, en := range entries {
			if err := out.print(en); err != nil {
				return err
			}
		}
		printed += len(entries)
		if left -= len(entries); next == "" {
			break
		}
		token = next
	}
	if printed == 0 {
		out.none(e.stderr)
	}
	return out.flush()
}

func runAuditShow(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("audit show", e)
	var tf trailFlags
	tf.define(fs)
	id, err := parseWithArg(fs, args, "one decision id: pdp audit show [flags] DECISION_ID")
	if err != nil {
		return err
	}
	tr, err := tf.open(ctx)
	if err != nil {
		return err
	}
	defer tr.close()
	en, err := tr.get(ctx, id)
	if err != nil {
		return err
	}
	if tf.format == "table" {
		return printDetail(e.stdout, en)
	}
	out := newPrinter(e.stdout, tf.format)
	if err := out.print(en); err != nil {
		return err
	}
	return out.flush()
}

func runAuditTail(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("audit tail", e)
	var tf trailFlags
	ff := filterFlags{limit: 1}
	tf.define(fs)
	ff.defineMatch(fs)
	after := fs.Int64("after-seq", 0, "start after sequence number `N` (0: only records committed from now on)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *after < 0 {
		return usagef("--after-seq %d: must not be negative", *after)
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
	out := newPrinter(e.stdout, tf.format)
	err = tr.tail(ctx, *after, func(en audit.Entry) error {
		if !f.Matches(en) {
			return nil
		}
		if err := out.print(en); err != nil {
			return err
		}
		return out.flush()
	})
	if ctx.Err() != nil {
		return nil // interrupted: the normal end of a tail
	}
	return err
}

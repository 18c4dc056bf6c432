package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/postgres"
)

// fleetFlags choose the fleet's trail in PostgreSQL (--audit-url) and one
// replica's chain in it (--instance).
type fleetFlags struct {
	url, passwordFile, instance string
}

func (f *fleetFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "audit-url", "", "read the fleet's trail from PostgreSQL at this `URL` (postgres://USER@HOST:PORT/DB?sslmode=...)")
	fs.StringVar(&f.passwordFile, "audit-password-file", "", "`file` holding the password of --audit-url")
	fs.StringVar(&f.instance, "instance", "", "only the records of the replica with this instance `id` (with --audit-url)")
}

// check refuses fleet flags without --audit-url and --audit-url with the
// other trails.
func (f *fleetFlags) check(t *trailFlags) error {
	switch {
	case f.url == "" && (f.passwordFile != "" || f.instance != ""):
		return usagef("--audit-password-file and --instance need --audit-url")
	case f.url == "":
		return nil
	case t.addr != "" || t.db != "":
		return usagef("--audit-url, --addr and --audit-db are alternatives: give one")
	case t.tls.enabled():
		return usagef("--tls-* flags apply to a server (--addr); for --audit-url put sslmode= in the URL")
	case !strings.HasPrefix(f.url, "postgres://") && !strings.HasPrefix(f.url, "postgresql://"):
		return usagef("--audit-url: want postgres://USER@HOST:PORT/DB?sslmode=...")
	}
	return mustExist("--audit-password-file", f.passwordFile)
}

// open connects to the fleet's trail.
func (f *fleetFlags) open(ctx context.Context) (*fleetTrail, error) {
	password := ""
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return nil, usagef("--audit-password-file: %v", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	store, err := postgres.Open(ctx, postgres.Options{URL: f.url, Password: password, MaxConns: 4, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &fleetTrail{store: store, instance: f.instance}, nil
}

// fleetTrail is the trail of every replica in PostgreSQL, or of one
// (instance).
type fleetTrail struct {
	store    *postgres.Store
	instance string
}

var _ trail = (*fleetTrail)(nil)

func (t *fleetTrail) query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	f.Instance = t.instance
	return t.store.Query(ctx, f, p)
}

func (t *fleetTrail) get(ctx context.Context, id string) (audit.Entry, error) {
	if t.instance != "" {
		return t.store.Trail(t.instance).GetEntry(ctx, id)
	}
	return t.store.GetEntry(ctx, id)
}

// instances are the chains verify and tail walk: --instance, or all.
func (t *fleetTrail) instances(ctx context.Context) ([]string, error) {
	if t.instance != "" {
		return []string{t.instance}, nil
	}
	return t.store.Instances(ctx)
}

// instanceReport is the verification of one instance's chain.
type instanceReport struct {
	Instance string `json:"instance"`
	audit.Report
}

// verifyEach verifies the chain and checkpoints of every instance.
func (t *fleetTrail) verifyEach(ctx context.Context) ([]instanceReport, error) {
	ids, err := t.instances(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]instanceReport, 0, len(ids))
	for _, id := range ids {
		rep, err := audit.Verify(ctx, t.store.Trail(id), audit.VerifyOptions{})
		if err != nil {
			return nil, fmt.Errorf("verify instance %q: %w", id, err)
		}
		out = append(out, instanceReport{Instance: id, Report: rep})
	}
	return out, nil
}

// verify sums the instances' reports; the first break names its instance.
func (t *fleetTrail) verify(ctx context.Context) (audit.Report, error) {
	reps, err := t.verifyEach(ctx)
	var sum audit.Report
	for _, r := range reps {
		sum.Records += r.Records
		sum.Checkpoints += r.Checkpoints
		if r.Break != nil && sum.Break == nil {
			b := *r.Break
			b.Reason = "instance " + r.Instance + ": " + b.Reason
			sum.Break = &b
		}
	}
	return sum, err
}

// tail follows every instance's chain (or --instance's), polling; after
// applies to --instance only: without it each chain starts at its head.
func (t *fleetTrail) tail(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	pos := map[string]int64{}
	if t.instance != "" && after > 0 {
		pos[t.instance] = after
	}
	first := true
	for {
		n, err := t.tailOnce(ctx, pos, first, fn)
		if err != nil {
			return err
		}
		first = false
		if n == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(tailPoll):
			}
		}
	}
}

// tailOnce passes the records after each chain's position to fn. A chain
// seen the first time starts at its head at the start of the tail, from
// its beginning when it appears later.
func (t *fleetTrail) tailOnce(ctx context.Context, pos map[string]int64, first bool, fn func(audit.Entry) error) (int, error) {
	ids, err := t.instances(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		at, seen := pos[id]
		if !seen && first {
			if at, err = t.store.Trail(id).Head(ctx); err != nil {
				return n, err
			}
		}
		entries, err := t.store.After(ctx, id, at, audit.DefaultPageSize)
		if err != nil {
			return n, err
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return n, err
			}
			at = e.Seq
		}
		pos[id], n = at, n+len(entries)
	}
	return n, nil
}

func (t *fleetTrail) close() error { return t.store.Close() }

// runFleetVerify verifies every instance's chain and prints a report for
// each; a break in any fails (exit 1).
func runFleetVerify(ctx context.Context, e env, tf *trailFlags, vf *verifyFlags) error {
	tr, err := tf.fleet.open(ctx)
	if err != nil {
		return err
	}
	defer tr.close()
	reps, err := tr.verifyEach(ctx)
	if err != nil {
		return err
	}
	var broken []string
	for _, r := range reps {
		if err := printInstanceReport(e.stdout, tf.format, r); err != nil {
			return err
		}
		if r.Break != nil {
			broken = append(broken, fmt.Sprintf("instance %s at %v", r.Instance, r.Break))
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("%w: %s", errBroken, strings.Join(broken, "; "))
	}
	sum, _ := tr.verify(ctx)
	return checkEmpty(e, sum, vf.allowEmpty)
}

func printInstanceReport(w io.Writer, format string, r instanceReport) error {
	if format == "json" {
		return json.NewEncoder(w).Encode(r)
	}
	if _, err := fmt.Fprintf(w, "instance %s: ", r.Instance); err != nil {
		return err
	}
	return printReport(w, format, r.Report)
}

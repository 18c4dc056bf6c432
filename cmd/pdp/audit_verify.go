package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/pdp-project/pdp/internal/audit"
)

// errBroken is returned (exit 1) when verification finds a break.
var errBroken = errors.New("audit trail verification failed")

// errEmpty is returned (exit 1) when there is nothing to verify and
// --allow-empty is not set.
var errEmpty = errors.New("audit trail verification proved nothing")

// verifyFlags are the flags of verify alone.
type verifyFlags struct {
	publicKey, checkpoint string
	allowEmpty            bool
}

func (v *verifyFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&v.publicKey, "public-key", "", "trusted Ed25519 key `file` (PEM, public or private) checkpoints must be signed with (with --audit-db)")
	fs.StringVar(&v.checkpoint, "checkpoint", "", "exported checkpoint `file` kept apart from the trail, to check it against (with --audit-db; default: the one beside the database)")
	fs.BoolVar(&v.allowEmpty, "allow-empty", false, "exit 0 for a trail with no records or no signed checkpoint")
}

// check refuses flags that only a trail file can honour when the trail is
// a server's, and files that do not exist.
func (v *verifyFlags) check(tf *trailFlags) error {
	if tf.db == "" && (v.publicKey != "" || v.checkpoint != "") {
		return usagef("--public-key and --checkpoint check a trail file: give --audit-db (a server verifies with its own key)")
	}
	if err := mustExist("--public-key", v.publicKey); err != nil {
		return err
	}
	return mustExist("--checkpoint", v.checkpoint)
}

// apply sets the trusted key and the exported checkpoint of a local trail.
func (v *verifyFlags) apply(t *localTrail) error {
	if v.checkpoint != "" {
		t.export = v.checkpoint
	}
	if v.publicKey == "" {
		return nil
	}
	pub, err := audit.LoadPublicKey(v.publicKey)
	if err != nil {
		return usagef("--public-key: %v", err)
	}
	t.pub = pub
	return nil
}

func runAuditVerify(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("audit verify", e)
	var tf trailFlags
	var vf verifyFlags
	tf.define(fs)
	vf.define(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := vf.check(&tf); err != nil {
		return err
	}
	if tf.fleet.url != "" {
		if err := tf.check(); err != nil {
			return err
		}
		return runFleetVerify(ctx, e, &tf, &vf) // audit_fleet.go
	}
	rep, err := verifyTrail(ctx, &tf, &vf)
	if err != nil {
		return err
	}
	if err := printReport(e.stdout, tf.format, rep); err != nil {
		return err
	}
	if rep.Break != nil {
		return fmt.Errorf("%w: first failing %v", errBroken, rep.Break)
	}
	return checkEmpty(e, rep, vf.allowEmpty)
}

func verifyTrail(ctx context.Context, tf *trailFlags, vf *verifyFlags) (audit.Report, error) {
	tr, err := tf.open(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	defer tr.close()
	if lt, ok := tr.(*localTrail); ok {
		if err := vf.apply(lt); err != nil {
			return audit.Report{}, err
		}
	}
	return tr.verify(ctx)
}

// checkEmpty warns about a trail that verifies without proving anything:
// no records, or no signed checkpoint to anchor them (exit 1 unless
// allowed).
func checkEmpty(e env, rep audit.Report, allow bool) error {
	var what string
	switch {
	case rep.Records == 0:
		what = "the trail holds no records"
	case rep.Checkpoints == 0:
		what = "the trail holds no signed checkpoint, so nothing vouches for its records"
	default:
		return nil
	}
	if allow {
		fmt.Fprintf(e.stderr, "pdp: warning: %s (allowed by --allow-empty)\n", what)
		return nil
	}
	return fmt.Errorf("%w: %s (pass --allow-empty to accept this)", errEmpty, what)
}

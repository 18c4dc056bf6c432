package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// ChainSource is what Verify reads: every entry in ascending sequence order
// and every checkpoint.
type ChainSource interface {
	Entries(ctx context.Context, after int64, fn func(Entry) error) error
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Exported is the checkpoint exported beside the trail, if any: a tail
	// removed after it is detected against it.
	Exported *Checkpoint
	// PublicKey, when set, is the only key checkpoints may be signed with.
	PublicKey ed25519.PublicKey
}

// Report is the outcome of Verify. Break is nil when the trail verifies.
type Report struct {
	Records     int64  `json:"records"`
	Checkpoints int    `json:"checkpoints"`
	FirstSeq    int64  `json:"first_seq"`
	LastSeq     int64  `json:"last_seq"`
	Break       *Break `json:"break,omitempty"`
}

// Break names the first record (or checkpoint) that fails verification.
type Break struct {
	Seq        int64  `json:"seq"`
	DecisionID string `json:"decision_id,omitempty"`
	Reason     string `json:"reason"`
}

func (b *Break) Error() string {
	if b.DecisionID != "" {
		return fmt.Sprintf("record seq %d (decision %s): %s", b.Seq, b.DecisionID, b.Reason)
	}
	return fmt.Sprintf("seq %d: %s", b.Seq, b.Reason)
}

// Verify checks the signatures of all checkpoints, then walks the chain:
// sequence numbers without gaps from the genesis (or from the newest
// retention checkpoint), each prev_hash equal to the hash before it, each
// hash recomputed from the record, and every checkpoint at or after the
// start matching the record it names. It returns an error only when the
// source cannot be read; a broken trail is a Report with Break set.
func Verify(ctx context.Context, src ChainSource, opts VerifyOptions) (Report, error) {
	cps, err := src.Checkpoints(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("read checkpoints: %w", err)
	}
	if opts.Exported != nil {
		cps = append(cps, *opts.Exported)
	}
	v := &verifier{rep: Report{Checkpoints: len(cps)}, want: map[int64][]Checkpoint{}}
	if v.rep.Break = v.checkSignatures(cps, opts.PublicKey); v.rep.Break != nil {
		return v.rep, nil
	}
	v.start(cps)
	err = src.Entries(ctx, v.head.Seq, v.visit)
	if errors.Is(err, errStop) {
		return v.rep, nil
	}
	if err != nil {
		return v.rep, fmt.Errorf("read trail: %w", err)
	}
	v.finish()
	return v.rep, nil
}

var errStop = errors.New("stop")

type verifier struct {
	rep  Report
	head Chain
	want map[int64][]Checkpoint // checkpoints still to meet, by seq
}

func (v *verifier) checkSignatures(cps []Checkpoint, trusted ed25519.PublicKey) *Break {
	for _, cp := range cps {
		if err := VerifySignature(cp, trusted); err != nil {
			return &Break{Seq: cp.Seq, Reason: fmt.Sprintf("%s checkpoint: %v", cp.Kind, err)}
		}
	}
	return nil
}

// start anchors the chain at the newest retention checkpoint, else at the
// genesis, and remembers the checkpoints past the anchor.
func (v *verifier) start(cps []Checkpoint) {
	v.head = Chain{Hash: GenesisHash}
	for _, cp := range cps {
		if cp.Kind == CheckpointRetention && cp.Seq > v.head.Seq {
			v.head = Chain{Seq: cp.Seq, Hash: cp.Hash}
		}
	}
	for _, cp := range cps {
		if cp.Seq > v.head.Seq {
			v.want[cp.Seq] = append(v.want[cp.Seq], cp)
		}
	}
}

func (v *verifier) visit(e Entry) error {
	if b := v.check(e); b != nil {
		v.rep.Break = b
		return errStop
	}
	if v.rep.Records == 0 {
		v.rep.FirstSeq = e.Seq
	}
	v.rep.Records++
	v.rep.LastSeq = e.Seq
	v.head = Chain{Seq: e.Seq, Hash: e.Hash}
	for _, cp := range v.want[e.Seq] {
		if cp.Hash != e.Hash {
			return v.stop(&Break{Seq: e.Seq, DecisionID: e.DecisionID,
				Reason: fmt.Sprintf("hash differs from the %s checkpoint signed at %s", cp.Kind, cp.Time.Format(TimeFormat))})
		}
	}
	delete(v.want, e.Seq)
	return nil
}

func (v *verifier) stop(b *Break) error {
	v.rep.Break = b
	return errStop
}

func (v *verifier) check(e Entry) *Break {
	if e.Seq != v.head.Seq+1 {
		return &Break{Seq: v.head.Seq + 1, Reason: fmt.Sprintf("record missing (the next record present is seq %d, decision %s)", e.Seq, e.DecisionID)}
	}
	if e.PrevHash != v.head.Hash {
		return &Break{Seq: e.Seq, DecisionID: e.DecisionID, Reason: "prev_hash does not match the hash of the record before it"}
	}
	hash, err := Seal(e.PrevHash, e.Seq, e.Record)
	if err != nil {
		return &Break{Seq: e.Seq, DecisionID: e.DecisionID, Reason: err.Error()}
	}
	if hash != e.Hash {
		return &Break{Seq: e.Seq, DecisionID: e.DecisionID, Reason: "hash does not match the record's content (a field was changed)"}
	}
	return nil
}

// finish reports a checkpoint past the end of the trail: its tail was
// removed.
func (v *verifier) finish() {
	var first *Checkpoint
	for _, list := range v.want {
		for _, cp := range list {
			if first == nil || cp.Seq < first.Seq {
				first = &cp
			}
		}
	}
	if first != nil {
		v.rep.Break = &Break{Seq: v.head.Seq + 1, Reason: fmt.Sprintf(
			"record missing: the trail ends at seq %d but the %s checkpoint of %s vouches for seq %d (tail removed)",
			v.head.Seq, first.Kind, first.Time.Format(TimeFormat), first.Seq)}
	}
}

// ExportPath is the file beside the trail at dbPath that holds the newest
// checkpoint.
func ExportPath(dbPath string) string { return dbPath + ".checkpoint.json" }

// WriteExport writes cp to path atomically (a temporary file renamed over
// it), 0600.
func WriteExport(path string, cp Checkpoint) error {
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("export checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("export checkpoint: %w", err)
	}
	return nil
}

// ReadExport reads the checkpoint exported at path; it returns nil, nil when
// there is no such file.
func ReadExport(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read exported checkpoint: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("exported checkpoint %q: %w", path, err)
	}
	return &cp, nil
}

package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// TimeFormat is how the trail writes times: RFC 3339 UTC with a fixed
// nine-digit fraction, so that text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// GenesisHash is the prev_hash of the first record of a trail.
var GenesisHash = strings.Repeat("0", sha256.Size*2)

// Entry is a record as the trail holds it: its place in the hash chain and
// the record itself.
type Entry struct {
	Seq      int64
	PrevHash string
	Hash     string
	pdp.Record
	// Instance names the replica whose chain holds the entry in a fleet's
	// trail; empty in a single replica's trail. It is not hashed.
	Instance string
}

// Document returns the JSON object of r that the chain hashes (after RFC
// 8785 canonicalization): every stored field under its column name (trace_id,
// bundle_digest, kind and plan only when not empty), times
// in TimeFormat, JSON values as JSON decodes them.
func Document(seq int64, r pdp.Record) (map[string]any, error) {
	reasons, err := jsonValue(r.Reasons, []any{})
	if err != nil {
		return nil, fmt.Errorf("reasons: %w", err)
	}
	obligations, err := jsonValue(r.Obligations, map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("obligations: %w", err)
	}
	input, err := jsonValue(r.Input, map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	masked, _ := jsonValue(r.Masked, []any{})
	doc := map[string]any{
		"seq": seq, "decision_id": r.DecisionID, "time": r.Time.UTC().Format(TimeFormat),
		"caller": r.Caller, "subject_type": r.SubjectType, "subject_id": r.SubjectID,
		"resource_type": r.ResourceType, "resource_id": r.ResourceID, "action": r.Action,
		"allow": r.Allow, "reasons": reasons, "obligations": obligations, "input": input,
		"bundle_revision": r.BundleRevision, "entrypoint": r.Entrypoint, "cache_hit": r.CacheHit,
		"latency_us": r.Latency.Microseconds(), "error": r.Error, "masked": masked, "mask_error": r.MaskError,
	}
	if r.TraceID != "" { // left out when empty: records from before schema 3 keep their hashes
		doc["trace_id"] = r.TraceID
	}
	if r.BundleDigest != "" { // left out when empty: older records keep their hashes
		doc["bundle_digest"] = r.BundleDigest
	}
	return doc, planMembers(doc, r)
}

// planMembers adds kind and plan to doc when r has them: decisions, which
// have neither, keep their hashes.
func planMembers(doc map[string]any, r pdp.Record) error {
	if r.Kind != "" {
		doc["kind"] = r.Kind
	}
	if r.Plan != nil {
		plan, err := jsonValue(r.Plan, map[string]any{})
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		doc["plan"] = plan
	}
	return nil
}

// jsonValue round-trips v through encoding/json, so that a value written
// and the same value read back hash alike; null becomes empty.
func jsonValue(v, empty any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if out == nil {
		return empty, nil
	}
	return out, nil
}

// sealDocument is Seal the long way, by Document and Canonical: the
// definition of the hash, and the path for values the direct encoder of
// Seal does not handle itself.
func sealDocument(prev string, seq int64, r pdp.Record) (string, error) {
	return sealWith(Canonical, prev, seq, r)
}

// sealedDocument is SealEntry the long way, by Document and Canonical.
func sealedDocument(prev string, seq int64, r pdp.Record) (Sealed, error) {
	doc, err := Document(seq, r)
	if err != nil {
		return Sealed{}, fmt.Errorf("%w: decision %q: %v", ErrInvalidRecord, r.DecisionID, err)
	}
	out := Sealed{Entry: Entry{Seq: seq, PrevHash: prev, Record: r}}
	parts := []*[]byte{&out.Canon, &out.Reasons, &out.Obligations, &out.Input, &out.Masked}
	for i, v := range []any{doc, doc["reasons"], doc["obligations"], doc["input"], doc["masked"]} {
		if *parts[i], err = Canonical(v); err != nil {
			return Sealed{}, fmt.Errorf("%w: decision %q: %v", ErrInvalidRecord, r.DecisionID, err)
		}
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(out.Canon)
	out.Hash = hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// sealWith is sealDocument with canonical as the JCS encoder (tests pass
// an independent one as an oracle).
func sealWith(canonical func(any) ([]byte, error), prev string, seq int64, r pdp.Record) (string, error) {
	doc, err := Document(seq, r)
	if err != nil {
		return "", fmt.Errorf("%w: decision %q: %v", ErrInvalidRecord, r.DecisionID, err)
	}
	canon, err := canonical(doc)
	if err != nil {
		return "", fmt.Errorf("%w: decision %q: %v", ErrInvalidRecord, r.DecisionID, err)
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Chain hands out sequence numbers and hashes in append order. It is not
// safe for concurrent use: a store holds it under its write lock.
type Chain struct {
	Seq  int64  // sequence number of the last record (0: none yet)
	Hash string // hash of the last record (GenesisHash: none yet)
}

// Next seals r as the record after the chain's head and returns its entry
// together with the advanced chain; c itself is unchanged, so a rolled-back
// transaction simply drops the returned chain.
func (c Chain) Next(r pdp.Record) (Entry, Chain, error) {
	s, next, err := c.Seal(r)
	return s.Entry, next, err
}

// Seal is Next keeping the canonical bytes of the record.
func (c Chain) Seal(r pdp.Record) (Sealed, Chain, error) {
	if r.DecisionID == "" {
		return Sealed{}, c, fmt.Errorf("%w: empty decision id", ErrInvalidRecord)
	}
	s, err := SealEntry(c.Hash, c.Seq+1, r)
	if err != nil {
		return Sealed{}, c, err
	}
	return s, Chain{Seq: s.Seq, Hash: s.Hash}, nil
}

// Check kinds of checkpoint.
const (
	CheckpointCount     = "count"     // every N records
	CheckpointInterval  = "interval"  // every T while records arrive
	CheckpointShutdown  = "shutdown"  // on clean shutdown
	CheckpointRetention = "retention" // at the cut of a retention run
)

// Checkpoint vouches, with an Ed25519 signature, that the record at Seq had
// Hash at Time.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	PublicKey string    `json:"public_key"` // base64 of the Ed25519 public key
	Signature string    `json:"signature"`  // base64 of the signature over SignedBytes
}

// SignedBytes is what a checkpoint's signature covers: the RFC 8785 JSON
// of {"hash","kind","seq","time"}.
func (c Checkpoint) SignedBytes() []byte {
	b, _ := Canonical(map[string]any{"seq": c.Seq, "hash": c.Hash, "kind": c.Kind,
		"time": c.Time.UTC().Format(TimeFormat)})
	return b
}

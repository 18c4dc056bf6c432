package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Kinds of journal payload (the first byte of a frame's payload).
const (
	frameRecord     = 'R' // prev_hash (64 hex) | hash (64 hex) | canonical record
	frameCheckpoint = 'C' // JSON of a Checkpoint
)

const hashHex = 64

// AppendRecordFrame appends the journal payload of s to buf: its place in
// the chain and its canonical bytes, from which DecodeFrame rebuilds it.
func AppendRecordFrame(buf []byte, s Sealed) []byte {
	buf = append(buf, frameRecord)
	buf = append(buf, s.PrevHash...)
	buf = append(buf, s.Hash...)
	return append(buf, s.Canon...)
}

// CheckpointFrame is the journal payload of cp.
func CheckpointFrame(cp Checkpoint) []byte {
	b, _ := json.Marshal(cp) // strings, numbers and a time: cannot fail
	return append([]byte{frameCheckpoint}, b...)
}

// DecodeFrame rebuilds what a journal payload holds: a sealed record or a
// checkpoint. A record is checked against its hash, so a payload that
// decodes into anything else than what was sealed is an error.
func DecodeFrame(p []byte) (*Sealed, *Checkpoint, error) {
	if len(p) == 0 {
		return nil, nil, errors.New("empty journal payload")
	}
	switch p[0] {
	case frameCheckpoint:
		var cp Checkpoint
		if err := json.Unmarshal(p[1:], &cp); err != nil {
			return nil, nil, fmt.Errorf("journal checkpoint: %w", err)
		}
		return nil, &cp, nil
	case frameRecord:
		s, err := decodeRecordFrame(p[1:])
		return s, nil, err
	}
	return nil, nil, fmt.Errorf("journal payload of unknown kind %q", p[0])
}

func decodeRecordFrame(p []byte) (*Sealed, error) {
	if len(p) < 2*hashHex {
		return nil, errors.New("journal record cut short")
	}
	s := &Sealed{Canon: p[2*hashHex:]}
	s.PrevHash, s.Hash = string(p[:hashHex]), string(p[hashHex:2*hashHex])
	if err := s.decodeCanon(); err != nil {
		return nil, fmt.Errorf("journal record: %w", err)
	}
	again, err := SealEntry(s.PrevHash, s.Seq, s.Record)
	if err != nil || again.Hash != s.Hash {
		return nil, fmt.Errorf("journal record seq %d does not match its hash", s.Seq)
	}
	return s, nil
}

// document is Document as JSON decodes it, the JSON members kept as text.
type document struct {
	Action         string          `json:"action"`
	Allow          bool            `json:"allow"`
	BundleDigest   string          `json:"bundle_digest"`
	BundleRevision string          `json:"bundle_revision"`
	CacheHit       bool            `json:"cache_hit"`
	Caller         string          `json:"caller"`
	DecisionID     string          `json:"decision_id"`
	Entrypoint     string          `json:"entrypoint"`
	Error          string          `json:"error"`
	Input          json.RawMessage `json:"input"`
	Kind           string          `json:"kind"`
	LatencyUS      float64         `json:"latency_us"`
	MaskError      bool            `json:"mask_error"`
	Masked         json.RawMessage `json:"masked"`
	Obligations    json.RawMessage `json:"obligations"`
	Plan           json.RawMessage `json:"plan"`
	Reasons        json.RawMessage `json:"reasons"`
	ResourceID     string          `json:"resource_id"`
	ResourceType   string          `json:"resource_type"`
	Seq            float64         `json:"seq"`
	SubjectID      string          `json:"subject_id"`
	SubjectType    string          `json:"subject_type"`
	Time           string          `json:"time"`
	TraceID        string          `json:"trace_id"`
}

// decodeCanon fills s.Entry and the column texts from s.Canon.
func (s *Sealed) decodeCanon() error {
	var d document
	if err := json.Unmarshal(s.Canon, &d); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, d.Time)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	s.Seq = int64(d.Seq)
	s.Reasons, s.Obligations, s.Input, s.Masked = d.Reasons, d.Obligations, d.Input, d.Masked
	s.Record = pdp.Record{DecisionID: d.DecisionID, Time: at, Caller: d.Caller, SubjectType: d.SubjectType,
		SubjectID: d.SubjectID, ResourceType: d.ResourceType, ResourceID: d.ResourceID, Action: d.Action,
		Allow: d.Allow, BundleRevision: d.BundleRevision, BundleDigest: d.BundleDigest, Entrypoint: d.Entrypoint,
		CacheHit: d.CacheHit, Latency: latency(d.LatencyUS), TraceID: d.TraceID,
		Error: d.Error, MaskError: d.MaskError, Kind: d.Kind}
	s.Plan = d.Plan
	if err := DecodePlan(&s.Record, s.Plan); err != nil {
		return err
	}
	return DecodeJSONMembers(&s.Record, s.Reasons, s.Obligations, s.Input, s.Masked)
}

// DecodePlan fills r.Plan from its stored text; empty text is no plan.
func DecodePlan(r *pdp.Record, text []byte) error {
	r.Plan = nil
	if len(text) == 0 {
		return nil
	}
	if err := json.Unmarshal(text, &r.Plan); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}

// latency converts microseconds, as the document holds them, back to a
// duration, saturating where a duration ends (the document's double has
// rounded such values already, so they seal alike).
func latency(us float64) time.Duration {
	const limit = float64(math.MaxInt64 / int64(time.Microsecond))
	switch {
	case us >= limit:
		return math.MaxInt64
	case us <= -limit:
		return math.MinInt64
	}
	return time.Duration(us) * time.Microsecond
}

// DecodeJSONMembers fills the JSON members of r from their text, as the
// trail stores them: empty lists and objects for null, Masked nil when
// empty.
func DecodeJSONMembers(r *pdp.Record, reasons, obligations, input, masked []byte) error {
	r.Reasons, r.Obligations, r.Input, r.Masked = []string{}, map[string]any{}, map[string]any{}, nil
	for _, f := range []struct {
		name string
		text []byte
		dst  any
	}{{"reasons", reasons, &r.Reasons}, {"obligations", obligations, &r.Obligations},
		{"input", input, &r.Input}, {"masked", masked, &r.Masked}} {
		if err := json.Unmarshal(f.text, f.dst); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if len(r.Masked) == 0 {
		r.Masked = nil
	}
	return nil
}

// Stored returns the entry as a store reads it back: decoded from the
// canonical bytes (times in UTC, latency in whole microseconds, JSON
// members as JSON decodes them).
func (s Sealed) Stored() (Entry, error) {
	d := Sealed{Canon: s.Canon}
	if err := d.decodeCanon(); err != nil {
		return Entry{}, fmt.Errorf("decision %q: %w", s.DecisionID, err)
	}
	return Entry{Seq: s.Seq, PrevHash: s.PrevHash, Hash: s.Hash, Record: d.Record}, nil
}

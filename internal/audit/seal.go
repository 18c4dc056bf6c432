package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Seal returns the hash of r at position seq after a record hashed prev:
// hex(SHA-256(prev || JCS(Document(seq, r)))), prev as its 64 hex digits.
func Seal(prev string, seq int64, r pdp.Record) (string, error) {
	s := sealers.Get().(*sealer)
	defer s.release()
	if !s.seal(prev, seq, &r) {
		return sealDocument(prev, seq, r)
	}
	return s.hash(), nil
}

// Sealed is an entry together with the canonical bytes its hash covers:
// encoded once, they feed the hash, the journal and the trail's columns.
type Sealed struct {
	Entry
	// Canon is the RFC 8785 JSON of Document(Seq, Record).
	Canon []byte
	// Reasons, Obligations, Input and Masked are the canonical JSON text
	// of those members, slices of Canon; so is Plan, nil when the record
	// holds no plan.
	Reasons, Obligations, Input, Masked, Plan []byte
}

// SealEntry seals r at position seq after a record hashed prev, as Seal
// does, and keeps the canonical bytes.
//
// It writes the canonical bytes straight from r instead of building
// Document and round-tripping it through encoding/json; a record holding a
// value that the direct encoder does not mirror exactly (an unknown type,
// NaN, invalid UTF-8 in a key, deep nesting) is sealed the long way, so the
// hash and any error are always those of Document and Canonical.
func SealEntry(prev string, seq int64, r pdp.Record) (Sealed, error) {
	s := sealers.Get().(*sealer)
	defer s.release()
	if !s.seal(prev, seq, &r) {
		return sealedDocument(prev, seq, r)
	}
	out := Sealed{Entry: Entry{Seq: seq, PrevHash: prev, Hash: s.hash(), Record: r}}
	out.Canon = append([]byte(nil), s.buf[len(prev):]...)
	parts := []*[]byte{&out.Reasons, &out.Obligations, &out.Input, &out.Masked, &out.Plan}
	for i, sp := range s.spans {
		if i == spanPlan && r.Plan == nil {
			continue
		}
		*parts[i] = out.Canon[sp[0]-len(prev) : sp[1]-len(prev) : sp[1]-len(prev)]
	}
	return out, nil
}

// seal writes prev and the canonical record into s.buf; false when the
// direct encoder cannot be sure to match Canonical.
func (s *sealer) seal(prev string, seq int64, r *pdp.Record) bool {
	s.buf = append(s.buf[:0], prev...)
	return s.record(seq, r)
}

// hash is the hex SHA-256 of s.buf.
func (s *sealer) hash() string {
	sum := sha256.Sum256(s.buf)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// sealers recycles encoding buffers: sealing runs once per decision, and
// the buffers are pure scratch, so sharing them changes no result.
var sealers = sync.Pool{New: func() any { return &sealer{buf: make([]byte, 0, 2048)} }}

// maxPooledBuf bounds the buffer a sealer keeps, so that one huge record
// does not pin its memory in the pool.
const maxPooledBuf = 64 << 10

// sealer writes the RFC 8785 form of a record into buf.
type sealer struct {
	buf     []byte
	members []member  // members of the objects being written, innermost last
	spans   [5][2]int // of reasons, obligations, input, masked, plan in buf
}

func (s *sealer) release() {
	if cap(s.buf) <= maxPooledBuf {
		clear(s.members[:cap(s.members)]) // drop references into the record
		s.members = s.members[:0]
		sealers.Put(s)
	}
}

// record writes the members of Document(seq, r) in their canonical order:
// the names are fixed and ASCII, so the order is plain byte order.
func (s *sealer) record(seq int64, r *pdp.Record) bool {
	s.strField(`{"action":`, r.Action)
	s.boolField(`,"allow":`, r.Allow)
	if r.BundleDigest != "" { // left out when empty: older records keep their hashes
		s.strField(`,"bundle_digest":`, r.BundleDigest)
	}
	s.strField(`,"bundle_revision":`, r.BundleRevision)
	s.boolField(`,"cache_hit":`, r.CacheHit)
	s.strField(`,"caller":`, r.Caller)
	s.strField(`,"decision_id":`, r.DecisionID)
	s.strField(`,"entrypoint":`, r.Entrypoint)
	s.strField(`,"error":`, r.Error)
	if !s.topObject(`,"input":`, r.Input, spanInput) {
		return false
	}
	if r.Kind != "" { // left out when empty: decisions keep their hashes
		s.strField(`,"kind":`, r.Kind)
	}
	s.intField(`,"latency_us":`, r.Latency.Microseconds())
	s.boolField(`,"mask_error":`, r.MaskError)
	s.topStrings(`,"masked":`, r.Masked, spanMasked)
	if !s.topObject(`,"obligations":`, r.Obligations, spanObligations) {
		return false
	}
	if r.Plan != nil && !s.topObject(`,"plan":`, r.Plan, spanPlan) { // only plan records have one
		return false
	}
	s.topStrings(`,"reasons":`, r.Reasons, spanReasons)
	s.tail(seq, r)
	return true
}

// tail writes the members after "reasons".
func (s *sealer) tail(seq int64, r *pdp.Record) {
	s.strField(`,"resource_id":`, r.ResourceID)
	s.strField(`,"resource_type":`, r.ResourceType)
	s.intField(`,"seq":`, seq)
	s.strField(`,"subject_id":`, r.SubjectID)
	s.strField(`,"subject_type":`, r.SubjectType)
	s.buf = append(s.buf, `,"time":"`...) // TimeFormat writes only ASCII digits and punctuation
	s.buf = append(r.Time.UTC().AppendFormat(s.buf, TimeFormat), '"')
	if r.TraceID != "" { // left out when empty: records from before schema 3 keep their hashes
		s.strField(`,"trace_id":`, r.TraceID)
	}
	s.buf = append(s.buf, '}')
}

func (s *sealer) strField(key, v string) {
	s.buf = appendString(append(s.buf, key...), v)
}

func (s *sealer) boolField(key string, v bool) {
	s.buf = strconv.AppendBool(append(s.buf, key...), v)
}

// intField writes an int64 member as Canonical does: as the double it rounds to.
func (s *sealer) intField(key string, v int64) {
	s.buf, _ = appendNumber(append(s.buf, key...), float64(v)) // a converted int64 is finite
}

// Indexes of Sealer.spans.
const (
	spanReasons = iota
	spanObligations
	spanInput
	spanMasked
	spanPlan
)

// topObject writes Obligations, Input or Plan and notes where its value is: nil
// stands for {}, as the JSON round trip of Document makes it.
func (s *sealer) topObject(key string, m map[string]any, span int) bool {
	s.buf = append(s.buf, key...)
	start := len(s.buf)
	ok := true
	if m == nil {
		s.buf = append(s.buf, "{}"...)
	} else {
		ok = s.object(m, 1)
	}
	s.spans[span] = [2]int{start, len(s.buf)}
	return ok
}

// topStrings writes Reasons or Masked and notes where its value is: nil
// stands for [].
func (s *sealer) topStrings(key string, v []string, span int) {
	s.buf = append(s.buf, key...)
	start := len(s.buf)
	if v == nil {
		s.buf = append(s.buf, "[]"...)
	} else {
		s.stringArray(v)
	}
	s.spans[span] = [2]int{start, len(s.buf)}
}

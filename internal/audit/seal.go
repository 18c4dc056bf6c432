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
//
// It writes the canonical bytes straight from r instead of building
// Document and round-tripping it through encoding/json; a record holding a
// value that the direct encoder does not mirror exactly (an unknown type,
// NaN, invalid UTF-8 in a key, deep nesting) is sealed the long way, so the
// hash and any error are always those of Document and Canonical.
func Seal(prev string, seq int64, r pdp.Record) (string, error) {
	s := sealers.Get().(*sealer)
	defer s.release()
	s.buf = append(s.buf[:0], prev...)
	if !s.record(seq, &r) {
		return sealDocument(prev, seq, r)
	}
	sum := sha256.Sum256(s.buf)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:]), nil
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
	members []member // members of the objects being written, innermost last
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
	s.strField(`,"bundle_revision":`, r.BundleRevision)
	s.boolField(`,"cache_hit":`, r.CacheHit)
	s.strField(`,"caller":`, r.Caller)
	s.strField(`,"decision_id":`, r.DecisionID)
	s.strField(`,"entrypoint":`, r.Entrypoint)
	s.strField(`,"error":`, r.Error)
	if !s.topObject(`,"input":`, r.Input) {
		return false
	}
	s.intField(`,"latency_us":`, r.Latency.Microseconds())
	s.boolField(`,"mask_error":`, r.MaskError)
	s.topStrings(`,"masked":`, r.Masked)
	if !s.topObject(`,"obligations":`, r.Obligations) {
		return false
	}
	s.topStrings(`,"reasons":`, r.Reasons)
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

// topObject writes Obligations or Input: nil stands for {}, as the JSON
// round trip of Document makes it.
func (s *sealer) topObject(key string, m map[string]any) bool {
	s.buf = append(s.buf, key...)
	if m == nil {
		s.buf = append(s.buf, "{}"...)
		return true
	}
	return s.object(m, 1)
}

// topStrings writes Reasons or Masked: nil stands for [].
func (s *sealer) topStrings(key string, v []string) {
	s.buf = append(s.buf, key...)
	if v == nil {
		s.buf = append(s.buf, "[]"...)
		return
	}
	s.stringArray(v)
}

package console

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/server"
)

// chainTTL is how long one verification of the whole trail answers the
// pages that show the chain's state: a walk of the chain costs time in
// proportion to the trail, and pages are opened in bursts.
const chainTTL = 10 * time.Second

// chainState is one verification of the trail (the AuditService's
// VerifyTrail) with the checkpoints it checked.
type chainState struct {
	Report audit.Report
	// Checkpoints are the signed checkpoints, oldest first; nil when the
	// trail does not list them (a fleet's shared trail).
	Checkpoints []audit.Checkpoint
	// Listed is false for a trail that does not list its checkpoints and
	// numbers several chains (a fleet's): records cannot be placed.
	Listed bool
	At     time.Time
	Err    error
}

// chainCache verifies the trail at most once per chainTTL; callers that
// arrive during a verification wait for it.
type chainCache struct {
	trail server.AuditTrail
	now   func() time.Time
	mu    sync.Mutex
	state *chainState
}

func newChainCache(t server.AuditTrail, now func() time.Time) *chainCache {
	return &chainCache{trail: t, now: now}
}

func (c *chainCache) get(ctx context.Context) chainState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != nil && c.now().Sub(c.state.At) < chainTTL {
		return *c.state
	}
	st := chainState{At: c.now()}
	st.Report, st.Err = c.trail.Verify(ctx)
	if l, ok := c.trail.(checkpointLister); ok && st.Err == nil {
		st.Checkpoints, st.Err = l.Checkpoints(ctx)
		st.Listed = true
	}
	if st.Err == nil { // a failure is not remembered: the next page tries again
		c.state = &st
	}
	return st
}

// Verdict is the chain's state in a word: ok, broken, "nothing proven"
// (no records, or no signed checkpoint to vouch for them) or unknown.
func (s chainState) Verdict() string {
	switch {
	case s.Err != nil:
		return "unknown"
	case s.Report.Break != nil:
		return "broken"
	case s.Report.Records == 0 || s.Report.Checkpoints == 0:
		return "nothing proven"
	}
	return "ok"
}

// Newest is the newest signed checkpoint, nil when none is known.
func (s chainState) Newest() *audit.Checkpoint {
	var out *audit.Checkpoint
	for i := range s.Checkpoints {
		if out == nil || s.Checkpoints[i].Seq > out.Seq {
			out = &s.Checkpoints[i]
		}
	}
	return out
}

// Coverage of one record by a verification.
const (
	// CoverSigned: the chain verifies through the record and a signed
	// checkpoint at or after it vouches for it.
	CoverSigned = "signed"
	// CoverChained: the chain verifies through the record, but no signed
	// checkpoint covers it yet (the next one is due by count or time).
	CoverChained = "chained"
	// CoverUnverified: the record lies after a break, or after the
	// verification ran.
	CoverUnverified = "unverified"
	// CoverUnknown: the trail cannot place the record (a fleet's shared
	// trail numbers each replica's chain apart) or was not verified.
	CoverUnknown = "unknown"
)

// position is where one record stands in the verified chain.
type position struct {
	Seq        int64
	Cover      string
	Checkpoint *audit.Checkpoint
	// KeyFingerprint names the key that signed Checkpoint; ServerKey tells
	// whether it is this server's own key.
	KeyFingerprint string
	ServerKey      bool
}

// place tells where the record at seq stands; fp names keys.
func (s chainState) place(seq int64, serverKey ed25519.PublicKey, fp func(ed25519.PublicKey) string) position {
	p := position{Seq: seq, Cover: CoverUnknown}
	rep := s.Report
	switch {
	case s.Err != nil || !s.Listed:
		return p
	case rep.Records == 0 || seq < rep.FirstSeq || seq > rep.LastSeq:
		p.Cover = CoverUnverified
		return p
	}
	p.Cover = CoverChained
	for i, cp := range s.Checkpoints {
		if cp.Seq >= seq && cp.Seq <= rep.LastSeq && (p.Checkpoint == nil || cp.Seq < p.Checkpoint.Seq) {
			p.Checkpoint = &s.Checkpoints[i]
		}
	}
	if p.Checkpoint != nil {
		p.Cover = CoverSigned
		p.KeyFingerprint = keyOf(*p.Checkpoint, fp)
		p.ServerKey = serverKey != nil && serverKey.Equal(checkpointKey(*p.Checkpoint))
	}
	return p
}

// checkpointKey is the key that signed cp, nil when it is not an Ed25519
// key.
func checkpointKey(cp audit.Checkpoint) ed25519.PublicKey {
	pub, err := base64.StdEncoding.DecodeString(cp.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil
	}
	return pub
}

// keyOf names the key that signed cp, "" when it is not an Ed25519 key.
func keyOf(cp audit.Checkpoint, fp func(ed25519.PublicKey) string) string {
	if pub := checkpointKey(cp); pub != nil {
		return fp(pub)
	}
	return ""
}

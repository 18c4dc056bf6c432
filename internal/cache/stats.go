package cache

import "sync/atomic"

// Stats counts what the cache did since it was built.
type Stats struct {
	LocalHits    uint64 // answered by the in-process tier
	RemoteHits   uint64 // answered by the shared tier
	Misses       uint64 // looked up in every tier and not found
	Evaluations  uint64 // evaluations run to fill a miss
	Shared       uint64 // callers that received another caller's flight
	NotStored    uint64 // evaluated results not stored (errors, revision changed)
	Bypassed     uint64 // explain requests
	Uncacheable  uint64 // non-deterministic entrypoints, no plan, no key
	RemoteErrors uint64 // tier errors, each answered as a miss
}

type counters struct {
	localHits, remoteHits, misses, evaluations, shared atomic.Uint64
	notStored, bypassed, uncacheable, remoteErrors     atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (c *Cache) Stats() Stats {
	s := &c.stats
	return Stats{
		LocalHits: s.localHits.Load(), RemoteHits: s.remoteHits.Load(), Misses: s.misses.Load(),
		Evaluations: s.evaluations.Load(), Shared: s.shared.Load(), NotStored: s.notStored.Load(),
		Bypassed: s.bypassed.Load(), Uncacheable: s.uncacheable.Load(), RemoteErrors: s.remoteErrors.Load(),
	}
}

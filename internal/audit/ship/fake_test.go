package ship

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
)

// fakeLocal is a local trail in memory.
type fakeLocal struct {
	mu      sync.Mutex
	entries []audit.Entry
	cps     []audit.Checkpoint
}

var _ Local = (*fakeLocal)(nil)

// add appends n records sealed one second apart from start.
func (l *fakeLocal) add(n int, start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		seq := int64(len(l.entries) + 1)
		l.entries = append(l.entries, audit.Entry{Seq: seq, Hash: fmt.Sprintf("h%d", seq),
			Record: pdp.Record{DecisionID: fmt.Sprintf("d%d", seq), Time: start.Add(time.Duration(seq) * time.Second), SubjectID: "alice"}})
	}
}

func (l *fakeLocal) checkpoint(seq int64, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cps = append(l.cps, audit.Checkpoint{Seq: seq, Kind: kind, Signature: fmt.Sprintf("sig%d%s", seq, kind)})
}

func (l *fakeLocal) After(_ context.Context, after int64, limit int) ([]audit.Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []audit.Entry
	for _, e := range l.entries {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *fakeLocal) Checkpoints(context.Context) ([]audit.Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]audit.Checkpoint(nil), l.cps...), nil
}

func (l *fakeLocal) Head(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.entries)), nil
}

// fakeRemote is an idempotent remote trail that fails on demand: before
// storing (failBefore calls) or after storing, the answer lost (failAfter).
type fakeRemote struct {
	mu         sync.Mutex
	byID       map[string]audit.Entry
	cps        map[cpKey]int // times each checkpoint was stored
	head       int64
	headHash   string
	calls      int
	firstSeqs  []int64 // the first seq of each successful Ship with records
	failHead   int
	failBefore int
	failAfter  int
	down       bool
}

var _ Remote = (*fakeRemote)(nil)

var errDown = errors.New("remote down")

func newFakeRemote() *fakeRemote {
	return &fakeRemote{byID: map[string]audit.Entry{}, cps: map[cpKey]int{}}
}

// seed stores the first n records of l as a previous run shipped them.
func (r *fakeRemote) seed(l *fakeLocal, n int) {
	es, _ := l.After(context.Background(), 0, n)
	for _, e := range es {
		r.byID[e.DecisionID] = e
		r.head, r.headHash = e.Seq, e.Hash
	}
}

// seedOther stores n records of another chain (other ids and hashes), as a
// replica under the same id that lost its data dir shipped them.
func (r *fakeRemote) seedOther(n int) {
	for seq := int64(1); seq <= int64(n); seq++ {
		id := fmt.Sprintf("old%d", seq)
		r.byID[id] = audit.Entry{Seq: seq, Hash: "other" + id, Record: pdp.Record{DecisionID: id}}
		r.head, r.headHash = seq, "other"+id
	}
}

func (r *fakeRemote) Head(_ context.Context, instance string) (int64, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failHead > 0 || r.down {
		r.failHead--
		return 0, "", errDown
	}
	return r.head, r.headHash, nil
}

func (r *fakeRemote) Ship(_ context.Context, instance string, entries []audit.Entry, cps []audit.Checkpoint) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.down || r.failBefore > 0 {
		r.failBefore--
		return errDown
	}
	for _, e := range entries {
		if _, dup := r.byID[e.DecisionID]; !dup {
			r.byID[e.DecisionID] = e
		}
		if e.Seq > r.head {
			r.head, r.headHash = e.Seq, e.Hash
		}
	}
	for _, cp := range cps {
		r.cps[keyOf(cp)]++
	}
	if len(entries) > 0 {
		r.firstSeqs = append(r.firstSeqs, entries[0].Seq)
	}
	if r.failAfter > 0 {
		r.failAfter--
		return errDown
	}
	return nil
}

func (r *fakeRemote) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

// check reports a missing or misplaced record of 1..n, besides other
// records of another chain.
func (r *fakeRemote) check(n, other int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byID) != n+other {
		return fmt.Errorf("remote holds %d records, want %d", len(r.byID), n+other)
	}
	for seq := 1; seq <= n; seq++ {
		if e, ok := r.byID[fmt.Sprintf("d%d", seq)]; !ok || e.Seq != int64(seq) {
			return fmt.Errorf("record %d missing or at seq %d", seq, e.Seq)
		}
	}
	return nil
}

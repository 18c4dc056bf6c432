package cache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Local is the in-process tier: a size-bounded LRU whose entries also
// expire after their TTL. It is safe for concurrent use. Results are shared
// between callers and must not be modified.
type Local struct {
	mu    sync.Mutex
	size  int
	clock func() time.Time
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type localEntry struct {
	key     string
	res     pdp.Result
	expires time.Time
}

var _ Tier = (*Local)(nil)

// NewLocal returns an LRU holding at most size entries; clock nil means
// time.Now.
func NewLocal(size int, clock func() time.Time) *Local {
	if clock == nil {
		clock = time.Now
	}
	return &Local{size: size, clock: clock, order: list.New(), items: make(map[string]*list.Element, size)}
}

// Get returns the live entry at key; it never fails.
func (l *Local) Get(_ context.Context, key string) (pdp.Result, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.items[key]
	if !ok {
		return pdp.Result{}, false, nil
	}
	ent := el.Value.(*localEntry)
	if !l.clock().Before(ent.expires) {
		l.remove(el)
		return pdp.Result{}, false, nil
	}
	l.order.MoveToFront(el)
	return ent.res, true, nil
}

// Set stores res at key for ttl, evicting the least recently used entry
// when full.
func (l *Local) Set(_ context.Context, key string, res pdp.Result, ttl time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ent := &localEntry{key: key, res: res, expires: l.clock().Add(ttl)}
	if el, ok := l.items[key]; ok {
		el.Value = ent
		l.order.MoveToFront(el)
		return nil
	}
	l.items[key] = l.order.PushFront(ent)
	for l.order.Len() > l.size {
		l.remove(l.order.Back())
	}
	return nil
}

// Len is the number of entries held, expired ones included.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

func (l *Local) remove(el *list.Element) {
	l.order.Remove(el)
	delete(l.items, el.Value.(*localEntry).key)
}

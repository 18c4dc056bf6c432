package engine

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// maxMemo bounds the remembered system-policy answers: one per distinct
// (method, caller, explain), so a flood of new caller ids cannot grow it.
const maxMemo = 4096

// answerMemo remembers boolean answers by key; a nil memo remembers nothing.
type answerMemo struct {
	m sync.Map
	n atomic.Int64
}

func memoKey(method, caller string, explain bool) string {
	return method + "\x00" + caller + "\x00" + strconv.FormatBool(explain)
}

func (m *answerMemo) get(key string) (allow, ok bool) {
	if m == nil {
		return false, false
	}
	v, ok := m.m.Load(key)
	if !ok {
		return false, false
	}
	return v.(bool), true
}

func (m *answerMemo) put(key string, allow bool) {
	if m == nil || m.n.Load() >= maxMemo {
		return
	}
	if _, loaded := m.m.LoadOrStore(key, allow); !loaded {
		m.n.Add(1)
	}
}

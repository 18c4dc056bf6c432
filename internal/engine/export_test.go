package engine

// MemoSize is the number of system-policy answers the embedded default
// remembers (tests only).
func MemoSize(e *Engine) int64 {
	sq, err := e.fallback()
	if err != nil {
		return -1
	}
	return sq.memo.n.Load()
}

// MaxMemo exposes the memo's bound to tests.
const MaxMemo = maxMemo

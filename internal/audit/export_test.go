package audit

// QueueLen reports how many writes wait for a commit.
func (w *Writer) QueueLen() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

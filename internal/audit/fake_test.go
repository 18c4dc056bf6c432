package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeStore is a Memory store that records its Append calls and can hold
// them (until release is closed), slow them, fail them or panic.
type fakeStore struct {
	*audittest.Memory
	entered chan struct{}
	release chan struct{}
	delay   time.Duration
	err     error
	panics  bool

	once  sync.Once
	mu    sync.Mutex
	calls [][]string
}

// open lets held and future Append calls proceed.
func (f *fakeStore) open() { f.once.Do(func() { close(f.release) }) }

// newWriter starts a Writer over f whose cleanup first releases f, so that
// a failing test does not hang in Close.
func newWriter(t *testing.T, f *fakeStore, opts audit.WriterOptions) *audit.Writer {
	w := audit.NewWriter(f, opts)
	t.Cleanup(func() {
		f.open()
		_ = w.Close()
	})
	return w
}

func newFake(held bool) *fakeStore {
	f := &fakeStore{Memory: audittest.NewMemory(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	if !held {
		f.open()
	}
	return f
}

func (f *fakeStore) Append(ctx context.Context, recs []pdp.Record) error {
	select {
	case f.entered <- struct{}{}:
	default:
	}
	<-f.release
	time.Sleep(f.delay)
	f.mu.Lock()
	f.calls = append(f.calls, ids(recs))
	f.mu.Unlock()
	if f.panics {
		panic("store exploded")
	}
	if f.err != nil {
		return f.err
	}
	return f.Memory.Append(ctx, recs)
}

func (f *fakeStore) Calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...)
}

func ids(recs []pdp.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.DecisionID
	}
	return out
}

// startWrite runs w.Write in a goroutine and returns its result channel.
func startWrite(ctx context.Context, w *audit.Writer, recs []pdp.Record) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- w.Write(ctx, recs) }()
	return ch
}

// waitQueued waits until n writes are queued behind the running commit.
func waitQueued(t *testing.T, w *audit.Writer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for w.QueueLen() != n {
		if time.Now().After(deadline) {
			t.Fatalf("queue length %d, want %d", w.QueueLen(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// holdFirstCommit starts one write that enters Append and is held there,
// so that later writes queue behind it.
func holdFirstCommit(t *testing.T, w *audit.Writer, f *fakeStore) (<-chan error, []pdp.Record) {
	t.Helper()
	recs := audittest.NewRecords(1)
	ch := startWrite(context.Background(), w, recs)
	<-f.entered
	return ch, recs
}

func mustResult(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Write did not return")
		return nil
	}
}

package audit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestWriterGroupCommitUnderLoad(t *testing.T) {
	f := newFake(false)
	f.delay = 2 * time.Millisecond // a commit costs time, as an fsync does
	w := newWriter(t, f, audit.WriterOptions{})
	const writers, each = 32, 10
	var mu sync.Mutex
	var writes [][]pdp.Record
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				recs := audittest.NewRecords(1 + (g+i)%3)
				if err := w.Write(context.Background(), recs); err != nil {
					t.Errorf("Write: %v", err)
					return
				}
				mu.Lock()
				writes = append(writes, recs)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assertCommitted(t, f, writes)
	if calls := len(f.Calls()); calls >= writers*each/4 {
		t.Errorf("%d Append calls for %d writes: group commit did not batch", calls, writers*each)
	}
}

// assertCommitted checks that every write is stored exactly once, all its
// records in the same Append call.
func assertCommitted(t *testing.T, f *fakeStore, writes [][]pdp.Record) {
	t.Helper()
	callOf := map[string]int{}
	for i, call := range f.Calls() {
		for _, id := range call {
			if _, dup := callOf[id]; dup {
				t.Fatalf("record %s appended twice", id)
			}
			callOf[id] = i
		}
	}
	n := 0
	for _, recs := range writes {
		n += len(recs)
		for _, r := range recs {
			if c, ok := callOf[r.DecisionID]; !ok || c != callOf[recs[0].DecisionID] {
				t.Fatalf("record %s: not committed with the rest of its write", r.DecisionID)
			}
		}
	}
	if got := len(f.Records()); got != n {
		t.Fatalf("store holds %d records, want %d", got, n)
	}
}

func TestWriterMaxBatch(t *testing.T) {
	f := newFake(true)
	w := newWriter(t, f, audit.WriterOptions{MaxBatch: 4})
	first, _ := holdFirstCommit(t, w, f)
	var results []<-chan error
	sizes := []int{1, 2, 1, 6, 1, 3, 1, 1}
	for i, n := range sizes {
		results = append(results, startWrite(context.Background(), w, audittest.NewRecords(n)))
		waitQueued(t, w, i+1)
	}
	f.open()
	for _, ch := range append(results, first) {
		if err := mustResult(t, ch); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	_ = w.Close()
	want := []int{1, 4, 6, 4, 2} // held, then [1 2 1], [6] alone, [1 3], [1 1]
	var got []int
	for _, c := range f.Calls() {
		got = append(got, len(c))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Append sizes %v, want %v", got, want)
	}
}

func TestWriterFailureReachesEveryWaiter(t *testing.T) {
	errDown := errors.New("disk on fire")
	tests := []struct {
		name   string
		store  func(*fakeStore)
		isDown bool
	}{
		{"store error", func(f *fakeStore) { f.err = errDown }, true},
		{"store panic", func(f *fakeStore) { f.panics = true }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(true)
			tc.store(f)
			w := newWriter(t, f, audit.WriterOptions{})
			first, _ := holdFirstCommit(t, w, f)
			results := []<-chan error{first}
			for i := range 10 {
				results = append(results, startWrite(context.Background(), w, audittest.NewRecords(2)))
				waitQueued(t, w, i+1)
			}
			f.open()
			for _, ch := range results {
				err := mustResult(t, ch)
				if pdp.ErrorCode(err) != pdp.CodeUnavailable || (tc.isDown && !errors.Is(err, errDown)) {
					t.Errorf("Write: err = %v, want unavailable wrapping the cause", err)
				}
			}
			if calls := len(f.Calls()); calls != 2 {
				t.Errorf("%d Append calls, want 2 (the held one, then one group commit)", calls)
			}
		})
	}
}

func TestWriterIsolatesInvalidRecord(t *testing.T) {
	f := newFake(true)
	w := newWriter(t, f, audit.WriterOptions{})
	first, _ := holdFirstCommit(t, w, f)
	bad := audittest.NewRecords(2)
	bad[1].DecisionID = ""
	good := [][]pdp.Record{audittest.NewRecords(1), audittest.NewRecords(3)}
	chGood0 := startWrite(context.Background(), w, good[0])
	waitQueued(t, w, 1)
	chBad := startWrite(context.Background(), w, bad)
	waitQueued(t, w, 2)
	chGood1 := startWrite(context.Background(), w, good[1])
	waitQueued(t, w, 3)
	f.open()
	for _, ch := range []<-chan error{first, chGood0, chGood1} {
		if err := mustResult(t, ch); err != nil {
			t.Errorf("good Write beside an invalid one: %v", err)
		}
	}
	if err := mustResult(t, chBad); pdp.ErrorCode(err) != pdp.CodeUnavailable || !errors.Is(err, audit.ErrInvalidRecord) {
		t.Errorf("invalid Write: err = %v, want unavailable wrapping ErrInvalidRecord", err)
	}
	if _, err := f.Get(context.Background(), bad[0].DecisionID); !errors.Is(err, audit.ErrNotFound) {
		t.Errorf("valid half of the invalid write was stored (err %v)", err)
	}
}

// TestLastFailure: a commit the store refuses is remembered until one
// succeeds; a record the store finds invalid is the caller's fault, not a
// failing store.
func TestLastFailure(t *testing.T) {
	f := newFake(false)
	w := newWriter(t, f, audit.WriterOptions{})
	recs := audittest.NewRecords(4)
	steps := []struct {
		name    string
		err     error
		failure string // "" when LastFailure must be nil after the write
	}{
		{"store refuses", errors.New("database or disk is full"), "disk is full"},
		{"invalid record", fmt.Errorf("bad: %w", audit.ErrInvalidRecord), ""},
		{"store refuses again", errors.New("locked"), "locked"},
		{"store recovers", nil, ""},
	}
	for i, st := range steps {
		f.err = st.err
		err := w.Write(context.Background(), recs[i:i+1])
		got := w.LastFailure()
		switch {
		case (err != nil) != (st.err != nil):
			t.Fatalf("%s: Write = %v", st.name, err)
		case st.failure == "" && got != nil:
			t.Errorf("%s: LastFailure = %v, want nil", st.name, got.Err)
		case st.failure != "" && (got == nil || !strings.Contains(got.Err.Error(), st.failure) || time.Since(got.At) > time.Minute):
			t.Errorf("%s: LastFailure = %+v, want %q just now", st.name, got, st.failure)
		}
	}
}

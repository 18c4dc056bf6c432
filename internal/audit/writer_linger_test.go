package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
)

// writeLoop has each of n goroutines write one record `each` times, pausing
// between writes as a caller does between requests; it returns how many
// Append calls the store saw.
func writeLoop(t *testing.T, opts audit.WriterOptions, n, each int) int {
	t.Helper()
	f := newFake(false)
	f.delay = 100 * time.Microsecond // a commit takes time, so writers overlap it
	w := newWriter(t, f, opts)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for range each {
				if err := w.Write(context.Background(), audittest.NewRecords(1)); err != nil {
					t.Errorf("Write: %v", err)
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if got := len(f.Records()); got != n*each {
		t.Fatalf("store holds %d records, want %d", got, n*each)
	}
	return len(f.Calls())
}

// TestWriterLingerGathersConcurrentWrites: with short commits, concurrent
// callers commit in twos and threes; lingering for the writes on their way
// makes far fewer, larger commits.
func TestWriterLingerGathersConcurrentWrites(t *testing.T) {
	const writers, each = 8, 50
	plain := writeLoop(t, audit.WriterOptions{}, writers, each)
	lingered := writeLoop(t, audit.WriterOptions{Linger: 50 * time.Millisecond}, writers, each)
	t.Logf("Append calls for %d writes: %d without linger, %d with", writers*each, plain, lingered)
	if lingered*2 > plain {
		t.Errorf("%d Append calls with linger against %d without: want at most half", lingered, plain)
	}
}

// TestWriterLingerSparesALoneWriter: a caller that never waits with
// another is never held up, however long Linger is.
func TestWriterLingerSparesALoneWriter(t *testing.T) {
	f := newFake(false)
	w := newWriter(t, f, audit.WriterOptions{Linger: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := w.Write(context.Background(), audittest.NewRecords(1)); err != nil {
				t.Errorf("Write: %v", err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a lone writer waited for company")
	}
}

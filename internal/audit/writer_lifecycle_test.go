package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestWriterCancelWhileQueued(t *testing.T) {
	f := newFake(true)
	w := newWriter(t, f, audit.WriterOptions{})
	first, _ := holdFirstCommit(t, w, f)
	ctx, cancel := context.WithCancel(context.Background())
	recs := audittest.NewRecords(2)
	queued := startWrite(ctx, w, recs)
	waitQueued(t, w, 1)
	cancel()
	if err := mustResult(t, queued); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled queued Write: err = %v, want context.Canceled", err)
	}
	f.open()
	if err := mustResult(t, first); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	for _, call := range f.Calls() {
		for _, id := range call {
			if id == recs[0].DecisionID || id == recs[1].DecisionID {
				t.Fatalf("abandoned record %s was committed", id)
			}
		}
	}
}

func TestWriterWaitsForCommitAfterHandOff(t *testing.T) {
	f := newFake(true)
	w := newWriter(t, f, audit.WriterOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	recs := audittest.NewRecords(2)
	ch := startWrite(ctx, w, recs)
	<-f.entered
	cancel()
	select {
	case err := <-ch:
		t.Fatalf("Write returned %v while its commit was still running", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.open()
	if err := mustResult(t, ch); err != nil {
		t.Fatalf("Write whose ctx ended after hand-off: %v, want the commit outcome (nil)", err)
	}
	if _, err := f.Get(context.Background(), recs[1].DecisionID); err != nil {
		t.Fatalf("record not committed: %v", err)
	}
}

func TestWriterCloseFlushesQueue(t *testing.T) {
	f := newFake(true)
	w := newWriter(t, f, audit.WriterOptions{})
	first, firstRecs := holdFirstCommit(t, w, f)
	results, writes := []<-chan error{first}, [][]pdp.Record{firstRecs}
	for i := range 5 {
		recs := audittest.NewRecords(i + 1)
		results, writes = append(results, startWrite(context.Background(), w, recs)), append(writes, recs)
		waitQueued(t, w, i+1)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned before the queue was flushed")
	case <-time.After(50 * time.Millisecond):
	}
	f.open()
	if err := mustResult(t, closed); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, ch := range results {
		if err := mustResult(t, ch); err != nil {
			t.Errorf("queued Write during Close: %v", err)
		}
	}
	assertCommitted(t, f, writes)
}

func TestWriterAfterClose(t *testing.T) {
	f := newFake(false)
	w := newWriter(t, f, audit.WriterOptions{})
	for range 2 { // Close is idempotent
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	for _, recs := range [][]pdp.Record{audittest.NewRecords(1), nil} {
		err := w.Write(context.Background(), recs)
		if pdp.ErrorCode(err) != pdp.CodeUnavailable || !errors.Is(err, audit.ErrClosed) {
			t.Errorf("Write(%d records) after Close: err = %v, want unavailable wrapping ErrClosed", len(recs), err)
		}
	}
	if len(f.Calls()) != 0 || f.Ping(context.Background()) != nil {
		t.Error("Writer.Close touched the store")
	}
}

func TestWriterTrivialWrites(t *testing.T) {
	f := newFake(false)
	w := newWriter(t, f, audit.WriterOptions{})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		recs []pdp.Record
		want error
	}{
		{"nil records", context.Background(), nil, nil},
		{"empty records", context.Background(), []pdp.Record{}, nil},
		{"ctx already done", done, audittest.NewRecords(1), context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.Write(tc.ctx, tc.recs); !errors.Is(err, tc.want) {
				t.Errorf("Write: err = %v, want %v", err, tc.want)
			}
		})
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("Append called %d times for writes with nothing to commit", len(calls))
	}
}

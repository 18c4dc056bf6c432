package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

// count returns the rows of table, read behind the store's back.
func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// stick makes the trail refuse inserts, as a stuck indexer would see it;
// the returned func lifts it.
func stick(t *testing.T, raw *sql.DB) func() {
	exec(t, raw, `CREATE TRIGGER stuck BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	return func() { exec(t, raw, `DROP TRIGGER IF EXISTS stuck`) }
}

func segments(t *testing.T, path string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(sqlite.JournalDir(path), "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func TestAppendJournalsThenIndexerIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, IndexEvery: 20 * time.Millisecond})
	raw := rawDB(t, path)
	if err := s.Append(context.Background(), audittest.NewRecords(5)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(t, raw, "decisions") < 5 || s.Backlog().Records > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the indexer did not take the journaled records into decisions")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b := s.Backlog(); b.Bytes != 0 || segments(t, path) != 0 {
		t.Errorf("after indexing: backlog %+v, %d segments; want an empty journal", b, segments(t, path))
	}
}

// The shutdown checkpoint of an empty trail sits at sequence 0; once it is
// in the trail its journal segment goes like any other.
func TestEmptyTrailCheckpointLeavesNoJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), IndexEvery: 20 * time.Millisecond})
	if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for segments(t, path) != 0 || s.Backlog().Bytes != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("backlog %+v, %d segments; want an empty journal", s.Backlog(), segments(t, path))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cps, err := s.Checkpoints(context.Background()); err != nil || len(cps) != 1 {
		t.Fatalf("checkpoints %v, %v; want the one written", cps, err)
	}
}

// copyTrail copies a trail and its journal as a crash would leave them
// on disk (the store's own files, read behind its back).
func copyTrail(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := osexec.Command("sh", "-c", `cp -r "$1"* "$2"/`, "sh", path, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("copy trail: %v: %s", err, out)
	}
	return filepath.Join(dst, filepath.Base(path))
}

// TestJournaledRecordsSurviveACrash copies the files of a store whose
// indexer cannot write, as a process killed after its appends would leave
// them, and opens the copy.
func TestJournaledRecordsSurviveACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	first := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 3})
	raw := rawDB(t, path)
	recs := audittest.NewRecords(4)
	if err := first.Append(context.Background(), recs[:2]); err != nil {
		t.Fatal(err)
	}
	flush(t, first)
	t.Cleanup(stick(t, raw))
	if err := first.Append(context.Background(), recs[2:]); err != nil {
		t.Fatal(err)
	}
	if err := first.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Flush with decisions refusing rows = %v, want the trigger's error", err)
	}
	crashed := copyTrail(t, path)
	exec(t, rawDB(t, crashed), `DROP TRIGGER stuck`)
	second := openStore(t, sqlite.Options{Path: crashed, Signer: testSigner(t), CheckpointEvery: 3})
	if n, m := count(t, rawDB(t, crashed), "decisions"), count(t, rawDB(t, crashed), "checkpoints"); n != 4 || m != 1 {
		t.Fatalf("after reopening: %d records and %d checkpoints in the trail, want 4 and 1", n, m)
	}
	next := audittest.NewRecords(1)
	if err := second.Append(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	got, err := second.GetEntry(context.Background(), next[0].DecisionID)
	if err != nil || got.Seq != 5 {
		t.Fatalf("GetEntry after reopening = seq %d, %v; want seq 5", got.Seq, err)
	}
	rep, err := audit.Verify(context.Background(), second, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 5 {
		t.Fatalf("Verify = %+v, %v; want 5 records and no break", rep, err)
	}
}

// TestIndexedRecordsLeftJournaledAreSkipped puts back a journal whose
// records the trail already holds, as a crash between an index pass and
// the release of the journal would leave it.
func TestIndexedRecordsLeftJournaledAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 2})
	raw := rawDB(t, path)
	unstick := stick(t, raw)
	if err := s.Append(context.Background(), audittest.NewRecords(3)); err != nil {
		t.Fatal(err)
	}
	journaled := copyTrail(t, path)
	unstick()
	flush(t, s)
	crashed := copyTrail(t, path)
	if err := os.RemoveAll(sqlite.JournalDir(crashed)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(sqlite.JournalDir(journaled), sqlite.JournalDir(crashed)); err != nil {
		t.Fatal(err)
	}
	again := openStore(t, sqlite.Options{Path: crashed, Signer: testSigner(t), CheckpointEvery: 2})
	if n, m := count(t, rawDB(t, crashed), "decisions"), count(t, rawDB(t, crashed), "checkpoints"); n != 3 || m != 1 {
		t.Fatalf("after reopening: %d records and %d checkpoints, want 3 and 1", n, m)
	}
	if segments(t, crashed) != 0 {
		t.Errorf("journal segments left after reopening")
	}
	rep, err := audit.Verify(context.Background(), again, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 3 {
		t.Fatalf("Verify = %+v, %v; want 3 records and no break", rep, err)
	}
}

func TestDuplicateOfAnIndexedRecordIsRejected(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	r := audittest.NewRecord(0)
	if err := s.Append(context.Background(), []pdp.Record{r}); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	if err := s.Append(context.Background(), []pdp.Record{r}); err == nil {
		t.Fatal("Append of a decision id already in decisions succeeded")
	}
}

// TestReadsSeeJournaledRecords reads through every method while the
// indexer cannot take anything into the trail.
func TestReadsSeeJournaledRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 2})
	t.Cleanup(stick(t, rawDB(t, path)))
	recs := audittest.NewRecords(3)
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil || head != 3 {
		t.Errorf("Head = %d, %v; want 3", head, err)
	}
	if after, err := s.After(ctx, 1, 10); err != nil || len(after) != 2 || after[0].Seq != 2 {
		t.Errorf("After(1) = %v, %v; want seqs 2 and 3", after, err)
	}
	if page, _, err := s.Query(ctx, audit.Filter{DecisionID: recs[2].DecisionID}, audit.Page{}); err != nil || len(page) != 1 {
		t.Errorf("Query by decision id = %d entries, %v; want 1", len(page), err)
	}
	if got, err := s.Get(ctx, recs[1].DecisionID); err != nil || got.DecisionID != recs[1].DecisionID {
		t.Errorf("Get = %v, %v", got.DecisionID, err)
	}
	rep, err := audit.Verify(ctx, s, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 3 || rep.Checkpoints != 1 {
		t.Errorf("Verify = %+v, %v; want 3 records, 1 checkpoint", rep, err)
	}
}

// TestQueryMergesJournalAndTrail pages through records half in the trail,
// half journaled, with a filter, newest first.
func TestQueryMergesJournalAndTrail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	recs := queryRecords(60)
	if err := s.Append(context.Background(), recs[:30]); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	t.Cleanup(stick(t, rawDB(t, path)))
	if err := s.Append(context.Background(), recs[30:]); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(recs) - 1; i >= 0; i-- {
		if i%2 == 1 {
			want = append(want, recs[i].DecisionID)
		}
	}
	if got := queryAll(t, s, audit.Filter{Action: "write"}, 7); !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// TestDecisionIDsCheckedWhateverTheirOrder: ids below the highest one seen
// take the looked-up path; new ones pass, repeats fail, journaled or
// indexed.
func TestDecisionIDsCheckedWhateverTheirOrder(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	rec := func(id string) pdp.Record {
		r := audittest.NewRecord(0)
		r.DecisionID = id
		return r
	}
	ctx := context.Background()
	steps := []struct {
		ids   []string
		flush bool
		ok    bool
	}{
		{[]string{"m", "n"}, true, true},
		{[]string{"x"}, false, true},
		{[]string{"a", "b"}, false, true},  // below the highest, new
		{[]string{"c", "m"}, false, false}, // m is in the trail
		{[]string{"c", "x"}, false, false}, // x is journaled
		{[]string{"y", "y"}, false, false}, // twice in one commit
		{[]string{"c"}, false, true},
	}
	for i, st := range steps {
		var recs []pdp.Record
		for _, id := range st.ids {
			recs = append(recs, rec(id))
		}
		if err := s.Append(ctx, recs); (err == nil) != st.ok {
			t.Fatalf("step %d: Append(%v) = %v, want ok %v", i, st.ids, err, st.ok)
		}
		if st.flush {
			flush(t, s)
		}
	}
}

func TestFailedIndexPassIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "log")) // writes are safe from the indexer's goroutine
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	s := openStore(t, sqlite.Options{Path: path, Logger: slog.New(slog.NewTextHandler(logFile, nil)), IndexEvery: 20 * time.Millisecond})
	t.Cleanup(stick(t, rawDB(t, path))) // lifted before Close indexes the records
	if err := s.Append(context.Background(), audittest.NewRecords(2)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs(), "audit records wait in the journal") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the failed index pass; logs:\n%s", logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs(), "stuck") {
		t.Errorf("the log does not carry the cause:\n%s", logs())
	}
}

// TestJournalStaysBounded: segments are released once indexed, so the
// journal holds only what the trail does not.
func TestJournalStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	const rounds, each = 20, 200
	for i := range rounds {
		recs := audittest.NewRecords(each)
		for j := range recs {
			recs[j].Input = map[string]any{"pad": strings.Repeat("x", 1000), "n": float64(i*each + j)}
		}
		if err := s.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		if b := s.Backlog(); b.Records != each || b.Bytes < each*1000 {
			t.Fatalf("backlog before indexing = %+v, want %d records of over 1000 bytes", b, each)
		}
		flush(t, s)
	}
	if b := s.Backlog(); b.Records != 0 || b.Bytes != 0 || segments(t, path) != 0 {
		t.Errorf("after %d rounds: backlog %+v, %d segments; want an empty journal", rounds, b, segments(t, path))
	}
}

// TestCheckpointAfterJournaledCheckpoints: a checkpoint signed while count
// checkpoints wait in the journal lands after them, so the trail's
// checkpoints stay in seq order and the trail verifies.
func TestCheckpointAfterJournaledCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 4})
	for range 3 {
		if err := s.Append(context.Background(), audittest.NewRecords(3)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointShutdown); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	cps, err := s.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, cp := range cps {
		seqs = append(seqs, cp.Seq)
	}
	if !slices.Equal(seqs, []int64{6, 9}) {
		t.Errorf("checkpoint seqs in table order = %v, want [6 9]: the count one, then the shutdown one", seqs)
	}
	rep, err := audit.Verify(context.Background(), s, audit.VerifyOptions{})
	if err != nil || rep.Break != nil {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// TestCommitsNeverWaitForTheTrail holds the trail's write lock, as a long
// index pass, retention run or an auditor's sqlite3 shell would: appends
// and checkpoints still succeed, and land once the lock is released.
func TestCommitsNeverWaitForTheTrail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), IndexEvery: 10 * time.Millisecond})
	raw := rawDB(t, path)
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := s.Append(context.Background(), audittest.NewRecords(10)); err != nil {
			t.Fatalf("Append while the trail is locked: %v", err)
		}
		if _, _, err := s.Checkpoint(context.Background(), audit.CheckpointInterval); err != nil {
			t.Fatalf("Checkpoint while the trail is locked: %v", err)
		}
	}
	_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
	_ = conn.Close()
	flush(t, s)
	if n, m := count(t, raw, "decisions"), count(t, raw, "checkpoints"); n != 50 || m != 5 {
		t.Fatalf("after the lock: %d records, %d checkpoints; want 50 and 5", n, m)
	}
}

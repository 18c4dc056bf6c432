package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
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

func TestAppendStagesThenMoverIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	raw, stage := rawDB(t, path), rawDB(t, sqlite.StagePath(path))
	if err := s.Append(context.Background(), audittest.NewRecords(5)); err != nil {
		t.Fatal(err)
	}
	if got := count(t, raw, "decisions") + count(t, stage, "decisions_pending"); got != 5 {
		t.Fatalf("rows in both tables = %d, want 5", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(t, raw, "decisions") < 5 {
		if time.Now().After(deadline) {
			t.Fatal("the mover did not move the pending rows into decisions")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(t, stage, "decisions_pending"); n != 0 {
		t.Errorf("pending rows after the move = %d, want 0", n)
	}
}

// TestPendingRowsSurviveACrash leaves rows pending in the file, as a
// process killed between a commit and the move would, and opens it again.
func TestPendingRowsSurviveACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	first := openStore(t, sqlite.Options{Path: path})
	raw := rawDB(t, path)
	recs := audittest.NewRecords(4)
	if err := first.Append(context.Background(), recs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := first.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	exec(t, raw, `CREATE TRIGGER stuck BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	if err := first.Append(context.Background(), recs[2:]); err != nil {
		t.Fatal(err)
	}
	if err := first.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Flush with decisions refusing rows = %v, want the trigger's error", err)
	}
	if _, err := first.Get(context.Background(), recs[3].DecisionID); err == nil {
		t.Fatal("Get succeeded although the pending rows cannot be moved; want the error")
	}
	exec(t, raw, `DROP TRIGGER stuck`)

	second := openStore(t, sqlite.Options{Path: path})
	if n := count(t, rawDB(t, sqlite.StagePath(path)), "decisions_pending"); n != 0 {
		t.Fatalf("pending rows after reopening = %d, want 0", n)
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

func TestDuplicateOfAMovedRecordIsRejected(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	r := audittest.NewRecord(0)
	if err := s.Append(context.Background(), []pdp.Record{r}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), []pdp.Record{r}); err == nil {
		t.Fatal("Append of a decision id already in decisions succeeded")
	}
}

// TestReadsSeeStagedRows reads through every method right after an
// Append, before any move could have run on its own.
func TestReadsSeeStagedRows(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	recs := audittest.NewRecords(3)
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(context.Background())
	if err != nil || head != 3 {
		t.Errorf("Head = %d, %v; want 3", head, err)
	}
	after, err := s.After(context.Background(), 0, 10)
	if err != nil || len(after) != 3 {
		t.Errorf("After = %d entries, %v; want 3", len(after), err)
	}
	page, _, err := s.Query(context.Background(), audit.Filter{DecisionID: recs[2].DecisionID}, audit.Page{})
	if err != nil || len(page) != 1 {
		t.Errorf("Query by decision id = %d entries, %v; want 1", len(page), err)
	}
}

// TestMovedRowsLeftStagedAreSkipped leaves rows in the stage that the trail
// already holds, as a crash between a move and its clean-up would.
func TestMovedRowsLeftStagedAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 2})
	if err := s.Append(context.Background(), audittest.NewRecords(3)); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	stage := rawDB(t, sqlite.StagePath(path))
	exec(t, stage, `ATTACH DATABASE '`+path+`' AS trail;
		INSERT INTO decisions_pending SELECT `+stageColumns+` FROM trail.decisions;
		INSERT INTO checkpoints_pending SELECT seq, hash, time, kind, public_key, signature FROM trail.checkpoints;
		DETACH DATABASE trail`)
	if n := count(t, stage, "decisions_pending"); n != 3 {
		t.Fatalf("staged copies = %d, want 3", n)
	}
	again := openStore(t, sqlite.Options{Path: path, Signer: testSigner(t), CheckpointEvery: 2})
	raw := rawDB(t, path)
	if n, m := count(t, raw, "decisions"), count(t, raw, "checkpoints"); n != 3 || m != 1 {
		t.Fatalf("after reopening: %d records and %d checkpoints, want 3 and 1", n, m)
	}
	if n := count(t, stage, "decisions_pending") + count(t, stage, "checkpoints_pending"); n != 0 {
		t.Errorf("stage rows after reopening = %d, want 0", n)
	}
	rep, err := audit.Verify(context.Background(), again, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != 3 {
		t.Fatalf("Verify = %+v, %v; want 3 records and no break", rep, err)
	}
}

// stageColumns lists the trail's columns in the stage's order.
const stageColumns = `seq, decision_id, time, caller, subject_type, subject_id, resource_type, resource_id, action,
  allow, reasons, obligations, input, bundle_revision, entrypoint, cache_hit, latency_us, error, trace_id, masked,
  mask_error, prev_hash, hash`

// TestDecisionIDsCheckedWhateverTheirOrder: ids below the highest one seen
// take the looked-up path; new ones pass, repeats fail, staged or moved.
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
		{[]string{"c", "x"}, false, false}, // x is staged
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

func TestFailedBackgroundMoveIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "log")) // writes are safe from the mover's goroutine
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	s := openStore(t, sqlite.Options{Path: path, Logger: slog.New(slog.NewTextHandler(logFile, nil))})
	raw := rawDB(t, path)
	exec(t, raw, `CREATE TRIGGER stuck BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	t.Cleanup(func() { exec(t, raw, `DROP TRIGGER stuck`) }) // lets Close move the rows
	if err := s.Append(context.Background(), audittest.NewRecords(2)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs(), "audit records stay staged") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the failed move; logs:\n%s", logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs(), "stuck") {
		t.Errorf("the log does not carry the cause:\n%s", logs())
	}
}

// TestStageWALStaysSmall: commits never checkpoint the stage's WAL (that
// would hold up the Checks waiting on them); the mover must, or the WAL
// would grow with every decision ever made.
func TestStageWALStaysSmall(t *testing.T) {
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
		flush(t, s)
	}
	info, err := os.Stat(sqlite.StagePath(path) + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Without checkpoints the WAL would hold every row: over 4 MB here.
	if written := int64(rounds * each * 1000); info.Size() > written/4 {
		t.Errorf("stage WAL is %d bytes after %d bytes of input were staged and moved", info.Size(), written)
	}
}

func TestStagedCountsUntilMoved(t *testing.T) {
	s := openStore(t, sqlite.Options{})
	if err := s.Append(context.Background(), audittest.NewRecords(3)); err != nil {
		t.Fatal(err)
	}
	if got := s.Staged(); got != 3 {
		t.Errorf("Staged after 3 records = %d, want 3", got)
	}
	flush(t, s)
	if got := s.Staged(); got != 0 {
		t.Errorf("Staged after the move = %d, want 0", got)
	}
}

// TestCheckpointAfterStagedCheckpoints: a checkpoint signed while count
// checkpoints are still staged lands after them, so the trail's checkpoints
// stay in seq order and the trail verifies.
func TestCheckpointAfterStagedCheckpoints(t *testing.T) {
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

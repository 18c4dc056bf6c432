package e2e

import (
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAuditSurvivesSIGKILL: concurrent Checks, SIGKILL in the middle of the
// load, restart on the same data dir: every decision a client got OK for is
// in the trail, and the chain verifies.
func TestAuditSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	p := startPDP(t, true, "--data-dir", dir, "--audit-checkpoint-every", "50")
	acked := checkUntilKilled(t, p, 8, 1500*time.Millisecond)
	if len(acked) < 50 {
		t.Fatalf("only %d decisions acknowledged before the kill; the load did not run", len(acked))
	}
	if out, code := runPDP(t, "", "audit", "verify", "--audit-db", db); code != 0 {
		t.Fatalf("verify after SIGKILL: exit %d\n%s", code, out)
	}

	p2 := startPDP(t, true, "--data-dir", dir)
	if _, err := p2.client.Check(ctxT(t), validRequest()); err != nil {
		t.Fatalf("Check after restart: %v", err)
	}
	if err := p2.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	out, code := runPDP(t, "", "audit", "verify", "--audit-db", db)
	if code != 0 || !strings.Contains(out, "OK:") {
		t.Fatalf("verify after restart and clean stop: exit %d\n%s", code, out)
	}
	assertAllPresent(t, db, acked) // replayed from the journal into the table at restart
	t.Logf("%d acknowledged decisions survived SIGKILL; %s", len(acked), strings.TrimSpace(out))
}

// checkUntilKilled runs workers that Check in a loop, SIGKILLs the server
// after d, and returns the decision ids the clients got OK for.
func checkUntilKilled(t *testing.T, p *pdpProc, workers int, d time.Duration) []string {
	t.Helper()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				resp, err := p.client.Check(ctxT(t), validRequest())
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, resp.GetDecisionId())
				mu.Unlock()
			}
		})
	}
	time.Sleep(d)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	p.exited <- nil
	wg.Wait()
	return acked
}

func assertAllPresent(t *testing.T, path string, ids []string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have := map[string]bool{}
	rows, err := db.Query(`SELECT decision_id FROM decisions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	for _, id := range ids {
		if !have[id] {
			t.Errorf("decision %s was acknowledged but is not in the trail", id)
		}
	}
}

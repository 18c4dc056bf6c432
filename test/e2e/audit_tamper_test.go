package e2e

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditTamperDetected records a few decisions, stops the server cleanly
// (shutdown checkpoint exported beside the database), then tampers with a
// copy of the trail for each case: `pdp audit verify` must exit 1 and name
// the first failing record.
func TestAuditTamperDetected(t *testing.T) {
	dir := t.TempDir()
	p := startPDP(t, true, "--data-dir", dir, "--auditors", "local")
	for range 6 {
		if _, err := p.client.Check(ctxT(t), validRequest()); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	if out, code := runPDP(t, "", "audit", "verify", "--addr", p.grpcAddr, "--allow-empty"); code != 0 {
		t.Fatalf("verify over gRPC: exit %d\n%s", code, out)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, sql, want string }{
		{"untouched", "", ""},
		{"change a field", "UPDATE decisions SET allow = 1 - allow WHERE seq = 3", "record seq 3 "},
		{"change the input", `UPDATE decisions SET input = json_set(input, '$.subject.id', 'mallory') WHERE seq = 2`, "record seq 2 "},
		{"delete a record", "DELETE FROM decisions WHERE seq = 4", "seq 4: record missing"},
		{"swap two records", `UPDATE decisions SET seq = -seq WHERE seq IN (2, 5);
			UPDATE decisions SET seq = 5 WHERE seq = -2; UPDATE decisions SET seq = 2 WHERE seq = -5`, "record seq 2 "},
		{"truncate the tail", "DELETE FROM decisions WHERE seq > 4; DELETE FROM checkpoints", "seq 5: record missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := copyTrail(t, dir)
			if tc.sql != "" {
				execSQL(t, db, tc.sql)
			}
			out, code := runPDP(t, "", "audit", "verify", "--audit-db", db)
			if tc.want == "" {
				if code != 0 {
					t.Fatalf("untouched trail: exit %d\n%s", code, out)
				}
				return
			}
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit 1 naming %q", code, out, tc.want)
			}
		})
	}
	if out, code := runPDP(t, "", "audit", "verify", "--audit-db", filepath.Join(dir, "missing.db")); code != 2 {
		t.Errorf("missing file: exit %d, want 2\n%s", code, out)
	}
}

// copyTrail copies the database and its exported checkpoint to a new
// directory and returns the database path.
func copyTrail(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{"audit.db", "audit.db.checkpoint.json", "audit.db-wal", "audit.db-shm"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, name), string(data))
	}
	return filepath.Join(dst, "audit.db")
}

func execSQL(t *testing.T, path, stmts string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmts); err != nil {
		t.Fatalf("%s: %v", stmts, err)
	}
}

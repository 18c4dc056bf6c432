package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

// fleetTrailDB ships 6 sealed records of replica-a and 4 of replica-b, each
// chain with a signed checkpoint at its head, into a fresh database; it
// returns the URL without password, a password file and the ids by
// instance.
func fleetTrailDB(t *testing.T) (url, pwFile, adminURL string, ids map[string][]string) {
	t.Helper()
	pg := pgtest.Start(t, pgtest.Options{})
	db := pg.CreateDatabase(t)
	store, err := postgres.Open(context.Background(), postgres.Options{URL: pg.URL(db)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, key, _ := ed25519.GenerateKey(nil)
	ids = map[string][]string{}
	for instance, n := range map[string]int{"replica-a": 6, "replica-b": 4} {
		var chain audit.Chain
		chain.Hash = audit.GenesisHash
		var entries []audit.Entry
		for i, r := range audittest.NewRecords(n) {
			r.SubjectID = fmt.Sprintf("%s-%d", instance, i%2)
			e, next, err := chain.Next(r)
			if err != nil {
				t.Fatal(err)
			}
			chain, entries = next, append(entries, e)
			ids[instance] = append(ids[instance], r.DecisionID)
		}
		cp := audit.NewSigner(key).Checkpoint(chain.Seq, chain.Hash, audit.CheckpointShutdown, time.Now())
		if err := store.Ship(context.Background(), instance, entries, []audit.Checkpoint{cp}); err != nil {
			t.Fatal(err)
		}
	}
	pwFile = filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(pg.Password()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return pg.URLWithoutPassword(db), pwFile, pg.URL(db), ids
}

func TestAuditFleet(t *testing.T) {
	url, pw, admin, ids := fleetTrailDB(t)
	fleet := []string{"--audit-url", url, "--audit-password-file", pw}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout
		lines    int      // lines of stdout (JSON Lines); -1: not checked
	}{
		{"query all", []string{"audit", "query", "--format", "json"}, 0, nil, 10},
		{"query instance", []string{"audit", "query", "--format", "json", "--instance", "replica-b"}, 0, []string{`"instance":"replica-b"`}, 4},
		{"query subject", []string{"audit", "query", "--format", "json", "--subject", "replica-a-1"}, 0, nil, 3},
		{"show", []string{"audit", "show", ids["replica-b"][2]}, 0, []string{ids["replica-b"][2], "instance:        replica-b"}, -1},
		{"show other instance", []string{"audit", "show", "--instance", "replica-a", ids["replica-b"][2]}, 1, nil, -1},
		{"verify", []string{"audit", "verify"}, 0, []string{"instance replica-a: OK: 6 records", "instance replica-b: OK: 4 records"}, 2},
		{"verify one", []string{"audit", "verify", "--instance", "replica-b", "--format", "json"}, 0, []string{`"instance":"replica-b"`}, 1},
		{"replay", []string{"replay", "", "--bundle", exampleBundle, "--instance", "replica-b", "--format", "json"}, 0, []string{`"subject":"user:replica-b-`}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(tt.args[:2:2], fleet...), tt.args[2:]...)
			args = slices.DeleteFunc(args, func(a string) bool { return a == "" })
			out, errOut, code := runCLI(args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "\n"); tt.lines >= 0 && n != tt.lines {
				t.Errorf("%d lines, want %d:\n%s", n, tt.lines, out)
			}
		})
	}
	t.Run("verify finds a break", func(t *testing.T) {
		tamper(t, admin, ids["replica-b"][1])
		out, errOut, code := runCLI(append([]string{"audit", "verify"}, fleet...)...)
		if code != 1 || !strings.Contains(out, "instance replica-a: OK") || !strings.Contains(errOut, "instance replica-b") {
			t.Fatalf("exit %d, want 1 naming replica-b\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	})
}

// tamper changes the action of one stored decision.
func tamper(t *testing.T, url, id string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE decisions SET action = 'delete' WHERE decision_id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

func TestAuditFleetUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"with addr", []string{"audit", "query", "--audit-url", "postgres://u@h/d", "--addr", "127.0.0.1:7070"}, "alternatives"},
		{"with db", []string{"audit", "verify", "--audit-url", "postgres://u@h/d", "--audit-db", "x.db"}, "alternatives"},
		{"instance alone", []string{"audit", "query", "--instance", "r1"}, "need --audit-url"},
		{"scheme", []string{"audit", "tail", "--audit-url", "mysql://u@h/d"}, "--audit-url: want postgres://"},
		{"password file missing", []string{"audit", "show", "--audit-url", "postgres://u@h/d", "--audit-password-file", "/nonexistent/pw", "x"}, "/nonexistent/pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

// TestAuditFleetTail: tail --audit-url follows every instance from its
// head at the start, and an instance that appears later from its first
// record.
func TestAuditFleetTail(t *testing.T) {
	url, pw, admin, _ := fleetTrailDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut},
			[]string{"audit", "tail", "--audit-url", url, "--audit-password-file", pw, "--format", "json"})
	}()
	time.Sleep(time.Second) // the tail has taken the heads
	want := append(shipMore(t, admin, "replica-b", 3), shipMore(t, admin, "replica-c", 2)...)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "\n") < len(want) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := out.String()
	if n := strings.Count(got, "\n"); n != len(want) {
		t.Fatalf("tail printed %d records, want %d:\n%s", n, len(want), got)
	}
	for _, id := range want {
		if !strings.Contains(got, id) {
			t.Errorf("tail lacks %s:\n%s", id, got)
		}
	}
}

// shipMore ships n more records of instance's chain and returns their ids.
func shipMore(t *testing.T, url, instance string, n int) []string {
	t.Helper()
	store, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seq, hash, err := store.Head(context.Background(), instance)
	if err != nil {
		t.Fatal(err)
	}
	chain := audit.Chain{Seq: seq, Hash: hash}
	var entries []audit.Entry
	var ids []string
	for _, r := range audittest.NewRecords(n) {
		var e audit.Entry
		if e, chain, err = chain.Next(r); err != nil {
			t.Fatal(err)
		}
		entries, ids = append(entries, e), append(ids, r.DecisionID)
	}
	if err := store.Ship(context.Background(), instance, entries, nil); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestServeAuditURLPasswordNeverPrinted: --print-config and the usage
// errors of pdp serve never show the password of --audit-url.
func TestServeAuditURLPasswordNeverPrinted(t *testing.T) {
	const url = "postgres://pdp:hunter2@db.example:5432/audit?sslmode=require"
	tests := []struct {
		name     string
		environ  []string
		args     []string
		wantCode int
		want     string
	}{
		{"print-config", nil, []string{"--print-config", "--bundle", exampleBundle, "--audit-url", url, "--instance-id", "r1"}, 0, "url: postgres://pdp:REDACTED@db.example:5432/audit?sslmode=require"},
		{"print-config from env", []string{"PDP_AUDIT_URL=" + url}, []string{"--print-config", "--bundle", exampleBundle}, 0, "pdp:REDACTED@"},
		{"bad ship mode", nil, []string{"--bundle", exampleBundle, "--audit-url", url, "--audit-ship", "later"}, 2, "--audit-ship: \"later\""},
		{"bad backlog size", nil, []string{"--bundle", exampleBundle, "--audit-url", url, "--audit-backlog-max", "1.5GiB"}, 2, "--audit-backlog-max: \"1.5GiB\""},
		{"bad url", nil, []string{"--bundle", exampleBundle, "--audit-url", "postgres://pdp:hunter2@/"}, 2, "--audit-url: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runWith("", tt.environ, append([]string{"serve"}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, "hunter2") {
				t.Fatalf("the password is printed:\n%s%s", out, errOut)
			}
		})
	}
}

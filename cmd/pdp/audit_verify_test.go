package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
)

// signedTrail writes n records to a new database signed by a new key, with
// a checkpoint at its head (none when n is 0); it returns the database and
// the key file.
func signedTrail(t *testing.T, n int) (db, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	db, keyFile = filepath.Join(dir, "audit.db"), filepath.Join(dir, "key.pem")
	key, _, err := audit.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: db, Signer: audit.NewSigner(key), ExportPath: audit.ExportPath(db)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n == 0 {
		return db, keyFile
	}
	if err := s.Append(ctx, audittest.NewRecords(n)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Checkpoint(ctx, audit.CheckpointShutdown); err != nil {
		t.Fatal(err)
	}
	return db, keyFile
}

func fingerprintOf(t *testing.T, keyFile string) string {
	t.Helper()
	key, err := audit.LoadKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return app.KeyFingerprint(key.Public().(ed25519.PublicKey))
}

// TestAuditVerify: the flags of verify and what it proves.
func TestAuditVerify(t *testing.T) {
	db, key := signedTrail(t, 12)
	otherDB, otherKey := signedTrail(t, 3)
	emptyDB, _ := signedTrail(t, 0)
	unsigned, _ := cliTrail(t)
	wrongKey := "is signed by another key (fingerprint " + fingerprintOf(t, key) + ", expected " + fingerprintOf(t, otherKey) + " from --public-key)"
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"signed trail", []string{"--audit-db", db}, exitOK, "OK: 12 records", ""},
		{"its key", []string{"--audit-db", db, "--public-key", key}, exitOK, "OK: 12 records", ""},
		{"another key", []string{"--audit-db", db, "--public-key", otherKey}, exitFailure, "", wrongKey},
		{"its own checkpoint", []string{"--audit-db", db, "--checkpoint", audit.ExportPath(db)}, exitOK, "OK: 12 records", ""},
		{"a checkpoint of another trail", []string{"--audit-db", db, "--checkpoint", audit.ExportPath(otherDB)}, exitFailure, "BROKEN at record seq 3", "verification failed"},
		{"missing checkpoint file", []string{"--audit-db", db, "--checkpoint", filepath.Join(t.TempDir(), "cp.json")}, exitUsage, "", "--checkpoint"},
		{"public key with addr", []string{"--addr", "127.0.0.1:1", "--public-key", key}, exitUsage, "", "give --audit-db"},
		{"checkpoint with addr", []string{"--addr", "127.0.0.1:1", "--checkpoint", audit.ExportPath(db)}, exitUsage, "", "give --audit-db"},
		{"public key without a trail file", []string{"--public-key", key}, exitUsage, "", "give --audit-db"},
		{"no records", []string{"--audit-db", emptyDB}, exitFailure, "NOTHING PROVEN: 0 records", "the trail holds no records (pass --allow-empty"},
		{"no records allowed", []string{"--audit-db", emptyDB, "--allow-empty"}, exitOK, "NOTHING PROVEN: 0 records", "warning: the trail holds no records"},
		{"no checkpoint", []string{"--audit-db", unsigned}, exitFailure, "NOTHING PROVEN: 12 records", "no signed checkpoint"},
		{"no checkpoint allowed", []string{"--audit-db", unsigned, "--allow-empty"}, exitOK, "12 records", "warning: the trail holds no signed checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(append([]string{"audit", "verify"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, want %d\nstdout (want %q):\n%s\nstderr (want %q):\n%s", code, tt.code, tt.stdout, out, tt.stderr, errOut)
			}
			if strings.Contains(tt.stderr, "another key") && strings.Contains(out, "BROKEN") {
				t.Errorf("a wrong key reads like tampering:\n%s", out)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveUntil runs pdp serve in-process with args until its log holds want
// (or 30 s pass), then stops it and returns the log.
func serveUntil(t *testing.T, want string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var log syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &log}, append([]string{"serve",
			"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...))
	}()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !strings.Contains(log.String(), want); {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d:\n%s", code, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exited %d:\n%s", code, log.String())
	}
	return log.String()
}

// TestServeLogsSigningKeyFingerprint: a server that generates its
// checkpoint signing key logs the key's fingerprint at start, and logs it
// again when it starts on the same data dir.
func TestServeLogsSigningKeyFingerprint(t *testing.T) {
	dataDir := t.TempDir()
	first := serveUntil(t, `"msg":"serving"`, "--bundle", exampleBundle, "--data-dir", dataDir)
	want := `"fingerprint":"` + fingerprintOf(t, filepath.Join(dataDir, "audit-signing-key.pem")) + `"`
	if !strings.Contains(first, "generated an audit checkpoint signing key") || !strings.Contains(first, want) {
		t.Errorf("first start: log lacks the generated key's %s:\n%s", want, first)
	}
	if again := serveUntil(t, `"msg":"serving"`, "--bundle", exampleBundle, "--data-dir", dataDir); !strings.Contains(again, want) {
		t.Errorf("second start: log lacks %s:\n%s", want, again)
	}
}

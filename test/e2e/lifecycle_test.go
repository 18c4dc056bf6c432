package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func revisionBundle(t *testing.T, dir, rev, body string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, ".manifest"), `{"revision": "`+rev+`", "roots": ["authz"]}`)
	writeFile(t, filepath.Join(dir, "authz.rego"), "package authz\n\n"+body+"\n")
}

// TestBundleSwap: a new revision switches answers while load runs, with no
// failed request; a syntax error leaves the old revision serving.
func TestBundleSwap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "swap")
	revisionBundle(t, dir, "v1", "decision := false")
	p := startPDP(t, true, "--bundle", dir)
	var failures, v2Seen atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { hammer(t, p, stop, &failures, &v2Seen) })
	}
	revisionBundle(t, dir, "v2", "decision := true")
	waitFor(t, 30*time.Second, func() bool { return v2Seen.Load() > 50 })
	close(stop)
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d requests failed or answered inconsistently during the swap", n)
	}
	writeFile(t, filepath.Join(dir, "authz.rego"), "package authz\n\ndecision := {{{ broken\n")
	waitFor(t, 30*time.Second, func() bool {
		_, body := p.get("/readyz")
		return strings.Contains(string(body), "rego_parse_error") || strings.Contains(string(body), "parse")
	})
	resp, err := p.client.Check(ctxT(t), validRequest())
	if err != nil || resp.GetBundleRevision() != "v2" || !resp.GetAllow() {
		t.Fatalf("after a broken bundle: %v, %v; want v2 still serving", resp, err)
	}
}

// hammer sends Checks until stop, counting failures and v2 answers. An
// answer must be v1/deny or v2/allow: never a mix.
func hammer(t *testing.T, p *pdpProc, stop chan struct{}, failures, v2 *atomic.Int64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		resp, err := p.client.Check(ctxT(t), validRequest())
		switch {
		case err != nil:
			t.Logf("check failed: %v", err)
			failures.Add(1)
		case resp.GetBundleRevision() == "v2" && resp.GetAllow():
			v2.Add(1)
		case resp.GetBundleRevision() == "v1" && !resp.GetAllow():
		default:
			failures.Add(1)
		}
	}
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAuditStoreDown: when the journal cannot take a record (its disk is
// full), the caller gets Unavailable, never an unrecorded decision, and
// /readyz says not ready; once space is freed, Checks work again.
func TestAuditStoreDown(t *testing.T) {
	dir := smallDisk(t, 8<<20)
	p := startPDP(t, true, "--data-dir", dir)
	p.dataDir = dir
	if _, err := p.client.Check(ctxT(t), validRequest()); err != nil {
		t.Fatal(err)
	}
	filler := fillDisk(t, dir)
	var err error
	for i := 0; err == nil && i < 200; i++ { // the journal's last page may still take a few records
		_, err = p.client.Check(ctxT(t), validRequest())
	}
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Check with the disk full: %v; want Unavailable", err)
	}
	if p.readyz(t).Ready {
		t.Error("/readyz is ready while the journal refuses every append")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := p.client.Check(ctxT(t), validRequest()); err != nil {
			t.Fatalf("Check after space was freed: %v", err)
		}
	}
	waitFor(t, 10*time.Second, func() bool { return p.readyz(t).Ready })
}

// smallDisk mounts a tmpfs of size bytes for the test (the tests run as
// root, as CI does); it skips where mounting is not permitted.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file into dir until the disk is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			return path
		}
	}
}

// TestGracefulShutdown: SIGTERM lets the process exit 0 with every answered
// decision on disk.
func TestGracefulShutdown(t *testing.T) {
	p := startPDP(t, true)
	var ids []string
	for range 20 {
		resp, err := p.client.Check(ctxT(t), validRequest())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.GetDecisionId())
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log)
	}
	db := p.auditDB(t)
	for _, id := range ids {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM decisions WHERE decision_id = ?`, id).Scan(&n); err != nil || n != 1 { // indexed at shutdown
			t.Errorf("decision %s: %d rows (%v)", id, n, err)
		}
	}
}

// TestCheckCommand: `pdp check` sends JSON from stdin and prints the answer.
func TestCheckCommand(t *testing.T) {
	p := startPDP(t, true)
	in := `{"subject": {"type": "user", "id": "alice", "roles": ["viewer"]}, "resource": {"type": "document", "id": "d1"}, "action": {"name": "read"}}`
	out, code := runPDP(t, in, "check", "--addr", p.grpcAddr)
	if code != 0 || !strings.Contains(out, `"decision_id"`) || !strings.Contains(out, `"bundle_revision"`) {
		t.Fatalf("pdp check exit %d:\n%s", code, out)
	}
	out, code = runPDP(t, `{"subject": {"id": "alice"}}`, "check", "--addr", p.grpcAddr)
	if code != 2 || !strings.Contains(out, "resource.type") {
		t.Fatalf("pdp check of an invalid request: exit %d:\n%s", code, out)
	}
}

// TestRefusesPlaintextOnNetwork: a non-loopback listener without TLS needs
// --insecure (exit 2, naming the flag).
func TestRefusesPlaintextOnNetwork(t *testing.T) {
	out, code := runPDP(t, "", "serve", "--grpc-addr", "0.0.0.0:0", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(out, "--insecure") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func runPDP(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(pdpBin, args...)
	cmd.Dir = repoRoot()
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// TestSecondServeOnADataDirExits2: one writer per trail; the second names
// the directory and the pid that holds it, and the first's trail still
// verifies afterwards.
func TestSecondServeOnADataDirExits2(t *testing.T) {
	p := startPDP(t, true)
	if _, err := p.client.Check(ctxT(t), validRequest()); err != nil {
		t.Fatal(err)
	}
	addrs := freeAddrs(t, 2)
	cmd := exec.Command(pdpBin, "serve", "--grpc-addr", addrs[0], "--http-addr", addrs[1], "--data-dir", p.dataDir)
	cmd.Dir = repoRoot()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("second serve: %v, want exit status 2; output:\n%s", err, out)
	}
	if pid := strconv.Itoa(p.cmd.Process.Pid); !strings.Contains(string(out), p.dataDir) || !strings.Contains(string(out), pid) {
		t.Errorf("message names neither %s nor pid %s:\n%s", p.dataDir, pid, out)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	verify := exec.Command(pdpBin, "audit", "verify", "--audit-db", filepath.Join(p.dataDir, "audit.db"))
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("verify after the refused second server: %v\n%s", err, out)
	}
}

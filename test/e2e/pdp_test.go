package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "modernc.org/sqlite"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// pdpProc is one running `pdp serve`.
type pdpProc struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	dataDir  string
	log      *syncBuffer
	client   pdpv1.AuthorizationServiceClient
	exited   chan error
}

// startPDP runs `pdp serve` on free loopback ports with a fresh data dir and
// waits until /readyz answers 200 (or, with wantReady false, until /healthz
// answers).
func startPDP(t *testing.T, wantReady bool, args ...string) *pdpProc {
	t.Helper()
	p := startProc(t, args...)
	p.waitHTTP(t, map[bool]string{true: "/readyz", false: "/healthz"}[wantReady])
	p.client = pdpv1.NewAuthorizationServiceClient(dial(t, p.grpcAddr))
	return p
}

// startProc runs `pdp serve` like startPDP without waiting for it.
func startProc(t *testing.T, args ...string) *pdpProc {
	t.Helper()
	addrs := freeAddrs(t, 2)
	p := &pdpProc{grpcAddr: addrs[0], httpAddr: addrs[1], dataDir: t.TempDir(), log: &syncBuffer{}}
	all := append([]string{"serve", "--grpc-addr", p.grpcAddr, "--http-addr", p.httpAddr,
		"--data-dir", p.dataDir, "--log-level", "debug"}, args...)
	p.cmd = exec.Command(pdpBin, all...)
	p.cmd.Dir = repoRoot()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pdp: %v", err)
	}
	p.exited = make(chan error, 1)
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *pdpProc) waitHTTP(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := p.get(path); code == http.StatusOK {
			return
		}
		select {
		case err := <-p.exited:
			t.Fatalf("pdp exited (%v) before %s was 200:\n%s", err, path, p.log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s not 200 after 60s; log:\n%s", path, p.log)
}

// get fetches path from the HTTP port and returns the status and body.
func (p *pdpProc) get(path string) (int, []byte) {
	resp, err := http.Get("http://" + p.httpAddr + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *pdpProc) stop(t *testing.T) error {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("pdp did not stop within 30s after SIGTERM; log:\n%s", p.log)
		return fmt.Errorf("killed")
	}
}

// auditDB opens the trail as an auditor's sqlite3 shell would, once the
// server has indexed everything its journal holds (see awaitIndexed).
func (p *pdpProc) auditDB(t *testing.T) *sql.DB {
	t.Helper()
	awaitIndexed(t, p.dataDir)
	path := filepath.Join(p.dataDir, "audit.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// awaitIndexed waits until the journal in dataDir is empty: the server
// has taken every record it acknowledged into the trail's table (within a
// second or two of the decision).
func awaitIndexed(t *testing.T, dataDir string) {
	t.Helper()
	waitFor(t, 15*time.Second, func() bool {
		segs, err := filepath.Glob(filepath.Join(dataDir, "audit.db.journal", "*.seg"))
		return err == nil && len(segs) == 0
	})
}

// freeAddrs returns n distinct free loopback addresses: the listeners are
// all open at once, so the kernel cannot hand out the same port twice.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// syncBuffer collects a child's output; tests read it while the child runs.
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

func (b *syncBuffer) Bytes() []byte { return []byte(b.String()) }

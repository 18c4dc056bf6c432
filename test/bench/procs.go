package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one server process started by the harness.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    interface{ tail() string } // the end of its output, for errors
	exited chan error
}

// startProc starts bin with its output in a bounded in-memory buffer.
func startProc(name, dir string, env []string, bin string, args ...string) (*proc, error) {
	log := &syncBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	return launch(name, dir, cmd, log)
}

// startProcLogFile starts bin with its standard output and error written
// straight to the file logPath (created or truncated): the process writes
// to the file itself, as a server logging to a file does.
func startProcLogFile(name, dir, logPath, bin string, args ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	cmd.Stdout, cmd.Stderr = f, f
	return launch(name, dir, cmd, fileTail(logPath))
}

func launch(name, dir string, cmd *exec.Cmd, log interface{ tail() string }) (*proc, error) {
	p := &proc{name: name, cmd: cmd, log: log, exited: make(chan error, 1)}
	p.cmd.Dir = dir
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p, nil
}

// waitReady polls ready until it succeeds, the process exits or timeout
// passes.
func (p *proc) waitReady(ready func() error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v; log:\n%s", p.name, timeout, err, p.log.tail())
		}
		select {
		case werr := <-p.exited:
			p.exited <- werr
			return fmt.Errorf("%s exited (%v) before it was ready; log:\n%s", p.name, werr, p.log.tail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits up to 30 s before killing.
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 30s of SIGTERM; killed", p.name)
	}
}

// httpOK is a readiness probe: GET url answers 200.
func httpOK(url string) func() error {
	return func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
		}
		return nil
	}
}

// tcpOpen is a readiness probe: addr accepts connections.
func tcpOpen(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// freeAddr is a free loopback port, released for the server to bind.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// buildPDP builds cmd/pdp into dir, with tags (e.g. "pprof") when given.
func buildPDP(ctx context.Context, root, dir, tags string) (string, error) {
	bin := filepath.Join(dir, "pdp")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	if err := goCmd(ctx, root, nil, append(args, "./cmd/pdp")...); err != nil {
		return "", fmt.Errorf("build pdp: %w", err)
	}
	return bin, nil
}

// installOPA installs the opa command of the OPA module version that go.mod
// requires into cacheDir/opa-<version> (reused by later runs).
func installOPA(ctx context.Context, root, cacheDir string) (string, error) {
	version, err := goModVersion(root, "github.com/open-policy-agent/opa")
	if err != nil {
		return "", err
	}
	gobin := filepath.Join(cacheDir, "opa-"+version)
	bin := filepath.Join(gobin, "opa")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	env := []string{"GOBIN=" + gobin}
	if err := goCmd(ctx, os.TempDir(), env, "install", "github.com/open-policy-agent/opa@"+version); err != nil {
		return "", fmt.Errorf("install opa %s: %w", version, err)
	}
	return bin, nil
}

// goModVersion reads the version of module mod that go.mod requires.
func goModVersion(root, mod string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require"))
		if len(f) >= 2 && f[0] == mod {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod does not require %s", mod)
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// syncBuffer is a bounded log buffer written by a child process.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const maxLog = 64 << 10

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > maxLog {
		rest := b.buf.Bytes()[b.buf.Len()-maxLog/2:]
		b.buf = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	return s[max(0, len(s)-4096):]
}

// fileTail is the path of a log file a process writes.
type fileTail string

func (f fileTail) tail() string {
	file, err := os.Open(string(f))
	if err != nil {
		return err.Error()
	}
	defer file.Close()
	if fi, err := file.Stat(); err == nil && fi.Size() > 4096 {
		_, _ = file.Seek(-4096, io.SeekEnd)
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

var errSkip = errors.New("skipped")

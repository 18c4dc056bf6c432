// Package redistest starts real Redis servers for tests: one redis-server,
// a Redis Cluster of several masters, or a sentinel, each on a free
// loopback port, in a temporary directory, without persistence, stopped
// when the test ends. With CI set and no redis-server on PATH the test
// fails; otherwise it is skipped.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	args []string // before the common ones: a config file, --sentinel, cluster options
	cmd  *exec.Cmd
}

// Start runs redis-server and waits until it answers PING.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t)
}

// startWith starts a server with args put before the common options.
func startWith(t testing.TB, args ...string) *Server {
	t.Helper()
	s := &Server{t: t, bin: lookPath(t), dir: t.TempDir(), port: freePort(t), args: args}
	s.start()
	t.Cleanup(s.Kill)
	return s
}

// lookPath finds redis-server: with CI set a missing one fails the test,
// otherwise it skips it.
func lookPath(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found (CI is set, so this fails; `make deps` installs it): %v", err)
		}
		t.Skipf("redis-server not found: %v (run `make deps`)", err)
	}
	return bin
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is redis://host:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Kill stops the server at once (SIGKILL) and waits for it; a no-op when it
// is not running.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, empty (a cluster node
// keeps its slots: its node table stays in its directory).
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

func (s *Server) start() {
	s.t.Helper()
	args := append(slices.Clone(s.args), "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	if err := s.waitPing(5 * time.Second); err != nil {
		s.Kill()
		s.t.Fatalf("redis-server on %s: %v", s.Addr(), err)
	}
}

func (s *Server) waitPing(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := ping(s.Addr())
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping speaks just enough RESP to see +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// ClosedAddr is a loopback address where nothing listens (a Redis that is
// down).
func ClosedAddr(t testing.TB) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

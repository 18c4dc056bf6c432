package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// MissingError reports that no PostgreSQL server binaries were found.
type MissingError struct{ Searched []string }

func (e *MissingError) Error() string {
	return "PostgreSQL binaries (initdb, postgres) not found in " + strings.Join(e.Searched, ", ")
}

// binaries are the programs of one PostgreSQL installation and the user
// to run them as (nil: the current one).
type binaries struct {
	initdb, postgres string
	cred             *syscall.Credential
}

// findBinaries looks in `pg_config --bindir`, /usr/lib/postgresql/*/bin
// (newest first) and PATH, for a directory holding both initdb and
// postgres.
func findBinaries() (binaries, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return versionOf(versions[i]) > versionOf(versions[j]) })
	dirs = append(dirs, versions...)
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), postgres: filepath.Join(d, "postgres")}
		if executable(b.initdb) && executable(b.postgres) {
			cred, err := runAs()
			b.cred = cred
			return b, err
		}
	}
	return binaries{}, &MissingError{Searched: dirs}
}

func versionOf(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// runAs returns the credential of the postgres user when running as root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command runs name as the server's user, its output into the log.
// The caller closes the returned log file once the command has started.
func (s *Server) command(name string, args ...string) (*exec.Cmd, *os.File, error) {
	log, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.dir, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.bins.cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	return cmd, log, nil
}

func (s *Server) initdb() error {
	if s.bins.cred != nil {
		if err := os.Chown(s.dir, int(s.bins.cred.Uid), int(s.bins.cred.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", s.dir, err)
		}
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	cmd, log, err := s.command(s.bins.initdb, "-D", filepath.Join(s.dir, "data"), "-U", "postgres",
		"--pwfile", pwfile, "--auth-local", "trust", "--auth-host", "scram-sha-256",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	if err != nil {
		return err
	}
	defer log.Close()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, s.logTail())
	}
	return nil
}

// Start starts the server (again, after Stop) on its port and waits until
// it accepts connections.
func (s *Server) Start() error {
	if s.proc != nil {
		return nil
	}
	args := []string{"-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + s.dir,
		"-c", "max_connections=200", "-c", "shared_buffers=64MB"}
	if !s.opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd, log, err := s.command(s.bins.postgres, args...)
	if err != nil {
		return err
	}
	defer log.Close()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.proc = watch(cmd)
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return fmt.Errorf("postgres on %s: %w\n%s", s.Addr(), err, s.logTail())
	}
	return nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-s.proc.done:
			return fmt.Errorf("server exited: %v", s.proc.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions are cut, nothing
// committed is lost); a no-op when it is not running.
func (s *Server) Stop() {
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.proc.done:
	case <-time.After(15 * time.Second):
		_ = s.proc.cmd.Process.Signal(syscall.SIGQUIT)
		<-s.proc.done
	}
	s.proc = nil
}

// Remove stops the server and deletes its directory.
func (s *Server) Remove() {
	s.Stop()
	_ = os.RemoveAll(s.dir)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// process is a started command and its exit.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes
}

func watch(cmd *exec.Cmd) *process {
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

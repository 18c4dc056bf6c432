package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is wrapped by New when another process serves the same data
// directory or audit trail: one writer per trail.
var ErrLocked = errors.New("in use by another process")

// lockFile is the lock a serving process holds in its data directory.
const lockFile = "pdp.lock"

// lockDirs locks the data directory and, when the audit database lies
// elsewhere, the database, before anything else is written there. The
// locks are released when the process exits or the App has closed
// everything else.
func (a *App) lockDirs() error {
	paths := []string{filepath.Join(a.cfg.DataDir, lockFile)}
	if db := a.cfg.Audit.DB; db != "" && filepath.Dir(absPath(db)) != absPath(a.cfg.DataDir) {
		paths = append(paths, db+".lock")
	}
	for _, p := range paths {
		f, err := lock(p)
		if err != nil {
			return err
		}
		a.locks = append(a.locks, f)
	}
	return nil
}

func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// lock takes an exclusive lock on path (created 0o600, its directory
// 0o700) and writes the process id into it; the lock lives as long as the
// returned file is open.
func lock(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readPID(f)
		_ = f.Close()
		return nil, fmt.Errorf("%s is %w (pid %s): stop it, or give this one another --data-dir", filepath.Dir(path), ErrLocked, holder)
	}
	if err := writePID(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	return f, nil
}

func readPID(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return pid
	}
	return "unknown"
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// unlock releases the locks, last of all.
func (a *App) unlock() {
	for _, f := range a.locks {
		_ = f.Close()
	}
	a.locks = nil
}

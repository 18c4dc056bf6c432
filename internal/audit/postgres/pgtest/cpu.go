package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of CPU times in /proc.
const clockTicks = 100

// CPU returns the CPU time (user and system) the server has used so far:
// the postmaster and its live processes, read from /proc (Linux). The time
// of backends that have exited is not counted, so measure over
// connections that stay open.
func (s *Server) CPU() (time.Duration, error) {
	if s.proc == nil {
		return 0, fmt.Errorf("server is not running")
	}
	root := s.proc.cmd.Process.Pid
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, path := range stats {
		pid, ppid, t, ok := readStat(path)
		if ok && (pid == root || ppid == root) {
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// readStat returns pid, parent pid and utime+stime of a /proc/PID/stat.
func readStat(path string) (pid, ppid int, ticks int64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, false
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if end < 0 {
		return 0, 0, 0, false
	}
	pid, _ = strconv.Atoi(strings.Fields(s[:end])[0])
	f := strings.Fields(s[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return pid, ppid, utime + stime, true
}

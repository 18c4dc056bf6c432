package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU (user + system) that process pid has used so far. On a
// shared machine the CPU a server spends per request is a steadier measure
// than its throughput, which the neighbours' load moves.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu time: %w", err)
	}
	s := string(data)
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// serverCPU sums the CPU time of the server's processes.
func (s *server) cpu() (time.Duration, error) {
	var total time.Duration
	for _, p := range s.procs {
		t, err := cpuTime(p.cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// machineCPU is the CPU time all of this machine's processors have been
// busy and the time they have existed, from the first line of /proc/stat
// (busy: everything but idle and iowait).
func machineCPU() (busy, total int64, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read machine cpu: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse /proc/stat field %d: %w", i+1, err)
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}

// usage is a snapshot of the CPU the server, the load generator (this
// process) and the whole machine have used.
type usage struct {
	server, client time.Duration
	busy, total    int64
}

func (s *server) usage() (usage, error) {
	var u usage
	var err1, err2, err3 error
	u.server, err1 = s.cpu()
	u.client, err2 = cpuTime(os.Getpid())
	u.busy, u.total, err3 = machineCPU()
	return u, errors.Join(err1, err2, err3)
}

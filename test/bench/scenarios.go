package main

import (
	"bufio"
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
	"time"
)

// scenarioNames is the run order; the ratios compare these.
func scenarioNames() []string {
	return []string{"noop", "check-uncached", "check-cached", "check-redis", "opa-rest", "opa-rest-logged"}
}

// harness holds what every scenario needs.
type harness struct {
	root       string // module root
	tmp        string // scratch directory of this run
	self       string // this executable, re-run as the noop server
	pdpBin     string
	opaBin     string
	entrypoint string
	profileDir string // where pprof profiles go; empty: none
	load       load
}

// server is a started system under test.
type server struct {
	caller caller
	procs  []*proc
	pprof  string // host:port of the pdp's pprof endpoint, when profiling
	// trail reads the pdp's audit backlog; nil for a server without one.
	trail *trailWatch
	// check, when not nil, says after the load whether the server did
	// what the scenario stands for.
	check func() error
}

func (s *server) stop() error {
	s.caller.close()
	var errs []error
	for i := len(s.procs) - 1; i >= 0; i-- {
		if err := s.procs[i].stop(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.procs[i].name, err))
		}
	}
	return errors.Join(errs...)
}

func (h *harness) start(name string) (*server, error) {
	switch name {
	case "noop":
		return h.startNoop()
	case "check-uncached":
		return h.startPDP(name, "--cache-ttl", "0")
	case "check-cached":
		return h.startPDP(name)
	case "check-redis":
		return h.startPDPRedis()
	case "opa-rest":
		return h.startOPA("")
	case "opa-rest-logged":
		return h.startOPA(filepath.Join(h.tmp, name+".log"))
	}
	return nil, fmt.Errorf("unknown scenario %q (known: %v)", name, scenarioNames())
}

func (h *harness) startNoop() (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := startProc("noop server", h.root, nil, h.self, "-serve-noop", addr)
	if err != nil {
		return nil, err
	}
	return h.grpcServer([]*proc{p}, addr, "")
}

// startPDP runs `pdp serve` on the example bundle with a fresh data dir
// (audit on, default durability) and waits for /readyz.
func (h *harness) startPDP(name string, extra ...string) (*server, error) {
	grpcAddr, err1 := freeAddr()
	httpAddr, err2 := freeAddr()
	pprofAddr, err3 := freeAddr()
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(h.tmp, name)
	args := append([]string{"serve", "--bundle", filepath.Join(h.root, "bundles", "example"),
		"--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--data-dir", dataDir, "--log-level", "warn"}, extra...)
	var env []string
	if h.profileDir != "" {
		env = append(env, "BENCH_PPROF_ADDR="+pprofAddr)
	} else {
		pprofAddr = ""
	}
	p, err := startProc("pdp ("+name+")", h.root, env, h.pdpBin, args...)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(httpOK("http://"+httpAddr+"/readyz"), 60*time.Second); err != nil {
		_ = p.stop()
		return nil, err
	}
	s, err := h.grpcServer([]*proc{p}, grpcAddr, pprofAddr)
	if err != nil {
		return nil, err
	}
	s.trail = newTrailWatch("http://" + httpAddr + "/metrics")
	return s, nil
}

func (h *harness) grpcServer(procs []*proc, addr, pprof string) (*server, error) {
	if err := procs[len(procs)-1].waitReady(tcpOpen(addr), 30*time.Second); err != nil {
		return nil, errors.Join(err, stopAll(procs))
	}
	c, err := newGRPCCaller(addr)
	if err != nil {
		return nil, errors.Join(err, stopAll(procs))
	}
	return &server{caller: c, procs: procs, pprof: pprof}, nil
}

// startPDPRedis starts a local redis-server and a pdp whose only cache tier
// is Redis.
func (h *harness) startPDPRedis() (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: redis-server is not installed (make deps)", errSkip)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	r, err := startProc("redis-server", h.tmp, nil, bin, "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err != nil {
		return nil, err
	}
	if err := r.waitReady(tcpOpen(addr), 30*time.Second); err != nil {
		return nil, errors.Join(err, r.stop())
	}
	s, err := h.startPDP("check-redis", "--redis-url", "redis://"+addr+"/0", "--cache-size", "0")
	if err != nil {
		return nil, errors.Join(err, r.stop())
	}
	s.procs = append([]*proc{r}, s.procs...)
	return s, nil
}

// startOPA runs `opa run --server` on the same bundle and waits for its
// health endpoint to report the bundle loaded. With a logFile, its console
// decision logger is on, writing one JSON line per decision to OPA's
// standard error, and OPA's output goes to that file (on the same disk as
// the pdp's trail); without, it logs no decisions.
func (h *harness) startOPA(logFile string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"run", "--server", "--addr", addr, "--log-level", "error",
		"--bundle", filepath.Join(h.root, "bundles", "example")}
	var p *proc
	if logFile == "" {
		p, err = startProc("opa", h.root, nil, h.opaBin, args...)
	} else {
		args = append(args, "--set", "decision_logs.console=true")
		p, err = startProcLogFile("opa (decision logs)", h.root, logFile, h.opaBin, args...)
	}
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(httpOK("http://"+addr+"/health?bundles"), 60*time.Second); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	c := newRESTCaller("http://"+addr+"/v1/data/"+h.entrypoint, h.load.concurrency)
	s := &server{caller: c, procs: []*proc{p}}
	if logFile != "" {
		s.check = func() error { return loggedDecisions(logFile) }
	}
	return s, nil
}

// loggedDecisions fails when OPA wrote no decision to logFile, so that
// opa-rest-logged cannot silently run without its decision logs.
func loggedDecisions(logFile string) error {
	f, err := os.Open(logFile)
	if err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for i := 0; i < 100 && sc.Scan(); i++ {
		if strings.Contains(sc.Text(), `"decision_id"`) {
			return nil
		}
	}
	return fmt.Errorf("OPA logged no decision to %s in its first 100 lines (%v)", logFile, sc.Err())
}

func stopAll(ps []*proc) error {
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.stop())
	}
	return errors.Join(errs...)
}

// profile saves a CPU profile of the measured phase and then the allocation
// profile of pdp's pprof endpoint (a binary built with -tags pprof).
func (h *harness) profile(ctx context.Context, name, addr string, d time.Duration) func() error {
	cpu := make(chan error, 1)
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds())-1))
		cpu <- fetch(ctx, url, filepath.Join(h.profileDir, name+".cpu.pprof"))
	}()
	return func() error {
		return errors.Join(<-cpu, fetch(ctx, "http://"+addr+"/debug/pprof/allocs",
			filepath.Join(h.profileDir, name+".allocs.pprof")))
	}
}

func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

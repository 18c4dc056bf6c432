// Command bench is the PDP's load harness (make bench; test/bench/README.md). In
// one invocation it builds pdp and installs the opa command of the OPA
// version in go.mod, then runs each scenario one after another against a
// server it starts on free loopback ports: a fixed number of concurrent
// callers for a warm-up and a measured duration, over the same input mix.
// It prints one RESULT line per scenario and then the ratios of the
// performance targets.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	concurrency      int
	warmup, duration time.Duration
	repeat           float64
	hot              int
	scenarios        string
	pdpBin, opaBin   string
	entrypoint       string
	profileDir       string
	strict           bool
	rounds           int
	serveNoop        string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent callers")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per scenario (latencies dropped; fills the cache)")
	fs.Float64Var(&o.repeat, "repeat", 0.9, "share of requests drawn from the hot set (0..1); the rest are inputs never sent before")
	fs.IntVar(&o.hot, "hot", 1000, "number of distinct inputs in the hot set")
	fs.StringVar(&o.scenarios, "scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios, run in this order")
	fs.StringVar(&o.pdpBin, "pdp", "", "pdp binary to use (default: build ./cmd/pdp)")
	fs.StringVar(&o.opaBin, "opa", "", "opa binary to use (default: go install the version in go.mod)")
	fs.StringVar(&o.entrypoint, "entrypoint", "authz/decision", "data path OPA is asked for (the bundle's entrypoint)")
	fs.StringVar(&o.profileDir, "profile", "", "directory for CPU and allocation profiles of each pdp scenario (builds pdp with -tags pprof)")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	fs.IntVar(&o.rounds, "rounds", 1, "run every scenario this many times, in order, and judge the targets by the median ratio")
	fs.StringVar(&o.serveNoop, "serve-noop", "", "internal: serve the noop gRPC server on this address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.concurrency < 1 || o.duration <= 0 || o.warmup < 0 || o.rounds < 1 {
		return o, fmt.Errorf("need -concurrency >= 1, -duration > 0, -warmup >= 0, -rounds >= 1")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if o.serveNoop != "" {
		if err := serveNoop(o.serveNoop); err != nil {
			fmt.Fprintln(os.Stderr, "noop server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, o, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) int {
	h, cleanup, err := setup(ctx, o, stderr)
	defer cleanup()
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "bench: %d callers, %s warm-up + %s per scenario, repeat share %.2f over %d hot inputs, GOMAXPROCS %d\n",
		o.concurrency, o.warmup, o.duration, o.repeat, o.hot, runtime.GOMAXPROCS(0))
	var rounds [][]result
	missed := 0
	for i := 0; i < o.rounds && ctx.Err() == nil; i++ {
		if o.rounds > 1 {
			fmt.Fprintf(stdout, "round %d of %d\n", i+1, o.rounds)
		}
		results := h.round(ctx, o.scenarios, stdout, stderr)
		missed = printRatios(stdout, results)
		rounds = append(rounds, results)
	}
	if len(rounds) > 1 {
		missed = printMedianRatios(stdout, rounds)
	}
	if failed(slices.Concat(rounds...)) || (o.strict && missed > 0) {
		return 1
	}
	return 0
}

// round runs every scenario once, in order, printing each result.
func (h *harness) round(ctx context.Context, scenarios string, stdout, stderr io.Writer) []result {
	var results []result
	for _, name := range strings.Split(scenarios, ",") {
		if ctx.Err() != nil {
			break
		}
		r := h.scenario(ctx, strings.TrimSpace(name), stderr)
		fmt.Fprintln(stdout, r.line())
		if r.serverCPU > 0 {
			fmt.Fprintln(stdout, r.cpuLine())
		}
		results = append(results, r)
	}
	return results
}

// setup builds what the scenarios need; cleanup removes the scratch dir.
func setup(ctx context.Context, o options, stderr io.Writer) (*harness, func(), error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, func() {}, err
	}
	tmp, err := os.MkdirTemp("", "pdp-bench")
	if err != nil {
		return nil, func() {}, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	m, err := newMix(o.hot, o.repeat)
	if err != nil {
		return nil, cleanup, err
	}
	h := &harness{root: root, tmp: tmp, pdpBin: o.pdpBin, opaBin: o.opaBin, entrypoint: o.entrypoint,
		profileDir: o.profileDir, load: load{concurrency: o.concurrency, warmup: o.warmup, duration: o.duration, mix: m, catchUp: catchUpTimeout}}
	return h, cleanup, h.binaries(ctx, stderr)
}

func (h *harness) binaries(ctx context.Context, stderr io.Writer) error {
	var err error
	if h.self, err = os.Executable(); err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	if h.profileDir != "" {
		if err := os.MkdirAll(h.profileDir, 0o755); err != nil {
			return err
		}
	}
	if h.pdpBin == "" {
		fmt.Fprintln(stderr, "bench: building pdp")
		if h.pdpBin, err = buildPDP(ctx, h.root, h.tmp, map[bool]string{true: "pprof"}[h.profileDir != ""]); err != nil {
			return err
		}
	}
	if h.opaBin == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		fmt.Fprintln(stderr, "bench: installing opa (once per OPA version)")
		h.opaBin, err = installOPA(ctx, h.root, filepath.Join(cache, "pdp-bench"))
		return err
	}
	return nil
}

// scenario starts the server of name, drives it, and stops it.
func (h *harness) scenario(ctx context.Context, name string, stderr io.Writer) result {
	s, err := h.start(name)
	if err != nil {
		return result{scenario: name, skipped: err.Error()}
	}
	var hook func() func() error
	if s.pprof != "" {
		hook = func() func() error { return h.profile(ctx, name, s.pprof, h.load.duration) }
	}
	r := h.load.run(ctx, name, s, hook)
	if s.check != nil {
		r.fail(s.check())
	}
	if err := s.stop(); err != nil {
		fmt.Fprintf(stderr, "bench: stop %s: %v\n", name, err)
	}
	if r.firstErr != nil {
		fmt.Fprintf(stderr, "bench: %s: first of %d errors: %v\n", name, r.errors, r.firstErr)
	}
	return r
}

func failed(rs []result) bool {
	for _, r := range rs {
		if r.skipped != "" || r.errors > 0 {
			return true
		}
	}
	return false
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of unsorted", ms(5, 1, 4, 2, 3), 0.5, 3 * time.Millisecond},
		{"p99 of 100", ms(seq(100)...), 0.99, 99 * time.Millisecond},
		{"p99 of 1000 is rank 990", ms(seq(1000)...), 0.99, 990 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.lat, tc.q); got != tc.want {
				t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// TestMixRepeatShare: the share of hot-set requests is what -repeat says,
// and every other request is new.
func TestMixRepeatShare(t *testing.T) {
	for _, repeat := range []float64{0, 0.5, 0.9, 1} {
		m, err := newMix(50, repeat)
		if err != nil {
			t.Fatal(err)
		}
		hot := map[*input]bool{}
		for _, in := range m.hotSet {
			hot[in] = true
		}
		seen, hits, n := map[string]bool{}, 0, 4000
		for i := range n {
			in, err := m.next(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if hot[in] {
				hits++
				continue
			}
			id := in.check.GetSubject().GetId()
			if seen[id] {
				t.Fatalf("repeat %v: new input %s sent twice", repeat, id)
			}
			seen[id] = true
		}
		if got := float64(hits) / float64(n); got < repeat-0.03 || got > repeat+0.03 {
			t.Errorf("repeat %v: hot share %.3f", repeat, got)
		}
	}
}

// TestInputBothForms: the OPA body carries the document the PDP builds from
// the CheckRequest.
func TestInputBothForms(t *testing.T) {
	in, err := buildInput(42)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Input map[string]any `json:"input"`
	}
	if err := json.Unmarshal(in.body, &body); err != nil {
		t.Fatal(err)
	}
	sub := body.Input["subject"].(map[string]any)
	if sub["id"] != in.check.GetSubject().GetId() || body.Input["caller"].(map[string]any)["id"] != "local" {
		t.Errorf("body %s does not match request %v", in.body, in.check)
	}
	if got, want := body.Input["environment"], in.check.GetEnvironment().AsMap(); !equalJSON(t, got, want) {
		t.Errorf("environment %v, want %v", got, want)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(x, y)
}

func TestRatios(t *testing.T) {
	rs := []result{
		{scenario: "noop", rps: 10000, p99: 2 * time.Millisecond},
		{scenario: "check-uncached", rps: 3000, p99: 4 * time.Millisecond},
		{scenario: "check-cached", rps: 6500, p99: 3 * time.Millisecond},
		{scenario: "check-redis", skipped: "no redis-server"},
		{scenario: "opa-rest", rps: 2000, p99: 5 * time.Millisecond},
	}
	var out bytes.Buffer
	missed := printRatios(&out, rs)
	for _, want := range []string{
		"check-uncached rps / opa-rest rps  1.50x  >= 1.5x  ok",
		"check-uncached p99 / opa-rest p99  0.80x  < 1x     ok",
		"check-cached rps / opa-rest rps    3.25x  >= 3x    ok",
		"check-cached rps / noop rps        0.65x  >= 0.6x  ok",
		"check-redis rps / opa-rest rps     -      -        not run",
		"errors in every scenario           0      0        MISSED",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if missed != 1 {
		t.Errorf("missed = %d, want 1 (the skipped scenario)", missed)
	}
}

func TestGoModVersion(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := goModVersion(root, "github.com/open-policy-agent/opa")
	if err != nil || !strings.HasPrefix(v, "v1.") {
		t.Errorf("OPA version %q, %v", v, err)
	}
	if _, err := goModVersion(root, "example.com/none"); err == nil {
		t.Error("found a module go.mod does not require")
	}
}

// TestLoadAgainstNoop drives the noop service briefly through the same load
// loop and gRPC client as make bench.
func TestLoadAgainstNoop(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pdpv1.RegisterAuthorizationServiceServer(srv, &noopService{resp: &pdpv1.CheckResponse{DecisionId: "d"}})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	c, err := newGRPCCaller(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMix(10, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	l := load{concurrency: 2, warmup: 50 * time.Millisecond, duration: 200 * time.Millisecond, mix: m}
	s := &server{caller: c}
	r := l.run(context.Background(), "noop", s, nil)
	s.caller.close()
	if r.errors != 0 || r.rps <= 0 || r.p99 < r.p50 || r.p50 <= 0 {
		t.Errorf("result %+v (first error %v)", r, r.firstErr)
	}
	if !strings.HasPrefix(r.line(), "RESULT scenario=noop rps=") {
		t.Errorf("line %q", r.line())
	}
}

// TestCPUTime reads this process's own CPU time.
func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	got, err := cpuTime(os.Getpid())
	if err != nil || got < 0 {
		t.Errorf("cpuTime = %v, %v", got, err)
	}
	if _, err := cpuTime(1 << 30); err == nil {
		t.Error("cpuTime of a missing process succeeded")
	}
}

// TestMachineCPU reads the machine's CPU counters: busy never exceeds the
// total, and both only grow.
func TestMachineCPU(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	busy0, total0, err := machineCPU()
	if err != nil || total0 <= 0 || busy0 < 0 || busy0 > total0 {
		t.Fatalf("machineCPU = %d, %d, %v", busy0, total0, err)
	}
	time.Sleep(20 * time.Millisecond)
	busy1, total1, err := machineCPU()
	if err != nil || total1 < total0 || busy1 < busy0 {
		t.Errorf("second machineCPU = %d, %d, %v after %d, %d", busy1, total1, err, busy0, total0)
	}
}

// TestUsedCPU turns two snapshots into per-request CPU and the busy share.
func TestUsedCPU(t *testing.T) {
	before := usage{server: time.Second, client: 2 * time.Second, busy: 100, total: 400}
	after := usage{server: 3 * time.Second, client: 3 * time.Second, busy: 250, total: 600}
	var r result
	r.usedCPU(before, after, 1000)
	if r.serverCPU != 2*time.Millisecond || r.clientCPU != time.Millisecond || r.busy != 0.75 {
		t.Errorf("usedCPU = server %v, client %v, busy %v; want 2ms, 1ms, 0.75", r.serverCPU, r.clientCPU, r.busy)
	}
	if !strings.Contains(r.cpuLine(), "server_cpu_us_per_req=2000.0 client_cpu_us_per_req=1000.0 machine_busy=0.75") {
		t.Errorf("cpuLine = %q", r.cpuLine())
	}
}

// TestMedianRatios: over rounds, a target is judged by the median of its
// per-round ratios, and the range shows the spread.
func TestMedianRatios(t *testing.T) {
	round := func(uncached, opa float64) []result {
		return []result{
			{scenario: "noop", rps: 10000, p99: time.Millisecond},
			{scenario: "check-uncached", rps: uncached, p99: 4 * time.Millisecond},
			{scenario: "check-cached", rps: 7000, p99: 2 * time.Millisecond},
			{scenario: "check-redis", rps: 5000, p99: 3 * time.Millisecond},
			{scenario: "opa-rest", rps: opa, p99: 5 * time.Millisecond},
		}
	}
	rounds := [][]result{round(2000, 2000), round(4000, 2000), round(3200, 2000)}
	var out bytes.Buffer
	missed := printMedianRatios(&out, rounds)
	for _, want := range []string{
		"median of 3 rounds",
		"check-uncached rps / opa-rest rps  1.60x  1.00-2.00x  >= 1.5x  ok",
		"check-cached rps / opa-rest rps    3.50x  3.50-3.50x  >= 3x    ok",
		"check-cached rps / noop rps        0.70x  0.70-0.70x  >= 0.6x  ok",
		"errors in every scenario           0                  0        ok",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if missed != 0 {
		t.Errorf("missed = %d, want 0:\n%s", missed, out.String())
	}
	rounds[1][4].errors = 3
	if missed := printMedianRatios(io.Discard, rounds); missed != 1 {
		t.Errorf("with errors in one round: missed = %d, want 1", missed)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
// loop and gRPC client as make bench; with a fake pdp /metrics endpoint, the
// load waits for the audit backlog to drain after each phase and fails the
// scenario when it does not.
func TestLoadAgainstNoop(t *testing.T) {
	for _, tc := range []struct {
		name        string
		backlog     []int // what successive scrapes answer, cycling; nil: no trail
		wantRecords int   // backlog when the load ended; -1: no trail
		wantErr     string
	}{
		{name: "no trail", wantRecords: -1},
		{name: "trail drains", backlog: []int{2, 1, 0}, wantRecords: 2},
		{name: "trail stuck", backlog: []int{7}, wantRecords: 7, wantErr: "still 7 records behind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := noopServer(t)
			if tc.backlog != nil {
				s.trail = newTrailWatch(fakeMetrics(t, tc.backlog))
			}
			l := load{concurrency: 2, warmup: 50 * time.Millisecond, duration: 200 * time.Millisecond,
				mix: testMix(t), catchUp: 350 * time.Millisecond}
			r := l.run(context.Background(), "noop", s, nil)
			if r.rps <= 0 || r.p99 < r.p50 || r.p50 <= 0 {
				t.Errorf("result %+v (first error %v)", r, r.firstErr)
			}
			checkRunTrail(t, r, tc.wantRecords, tc.wantErr)
			if !strings.HasPrefix(r.line(), "RESULT scenario=noop rps=") {
				t.Errorf("line %q", r.line())
			}
		})
	}
}

func checkRunTrail(t *testing.T, r result, wantRecords int, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && r.errors != 0:
		t.Errorf("%d errors, first %v", r.errors, r.firstErr)
	case wantErr != "" && (r.errors != 2 || !strings.Contains(fmt.Sprint(r.firstErr), wantErr)):
		t.Errorf("%d errors, first %v; want one after each phase, %q", r.errors, r.firstErr, wantErr)
	}
	got := -1 // no trail figures
	if r.trail != nil {
		got = r.trail.records
	}
	if got != wantRecords {
		t.Errorf("backlog at the end %d, want %d", got, wantRecords)
	}
}

// noopServer serves the noop service in-process on a loopback port.
func noopServer(t *testing.T) *server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pdpv1.RegisterAuthorizationServiceServer(srv, &noopService{resp: &pdpv1.CheckResponse{DecisionId: "d"}})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := newGRPCCaller(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return &server{caller: c}
}

func testMix(t *testing.T) *mix {
	t.Helper()
	m, err := newMix(10, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	return m
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

// TestUsedCPU turns three snapshots into per-request CPU and the busy
// share: the server's CPU counts until it caught up, the load generator's
// and the machine's until the load ended.
func TestUsedCPU(t *testing.T) {
	before := usage{server: time.Second, client: 2 * time.Second, busy: 100, total: 400}
	loadEnd := usage{server: 2 * time.Second, client: 3 * time.Second, busy: 250, total: 600}
	caughtUp := usage{server: 3 * time.Second, client: 4 * time.Second, busy: 300, total: 900}
	var r result
	r.usedCPU(before, loadEnd, caughtUp, 1000)
	if r.serverCPU != 2*time.Millisecond || r.clientCPU != time.Millisecond || r.busy != 0.75 {
		t.Errorf("usedCPU = server %v, client %v, busy %v; want 2ms, 1ms, 0.75", r.serverCPU, r.clientCPU, r.busy)
	}
	if !strings.Contains(r.cpuLine(), "server_cpu_us_per_req=2000.0 client_cpu_us_per_req=1000.0 machine_busy=0.75") {
		t.Errorf("cpuLine = %q", r.cpuLine())
	}
}

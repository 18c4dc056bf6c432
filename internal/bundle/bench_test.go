package bundle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// rbacBundle is an RBAC bundle with n role bindings in data.json.
func rbacBundle(b *testing.B, rev string, n int) *opabundle.Bundle {
	b.Helper()
	bindings := make(map[string][]string, n)
	for i := range n {
		bindings[fmt.Sprintf("user-%d", i)] = []string{fmt.Sprintf("role-%d", i%50), "viewer"}
	}
	data, err := jsonString(map[string]any{"authz": map[string]any{"bindings": bindings}})
	if err != nil {
		b.Fatal(err)
	}
	dir := bundletest.WriteDir(b, bundletest.Files{
		".manifest": `{"revision": "` + rev + `", "roots": ["authz"]}`,
		"data.json": data,
		"authz.rego": "package authz\n\ndecision := {\"allow\": allow}\n\n" +
			"default allow := false\n\nallow if \"role-7\" in data.authz.bindings[input.subject.id]\n",
	})
	bb, err := bundle.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	return bb
}

// BenchmarkSwap10kBindings measures one activation (compile off to the side
// + atomic swap) of a bundle with 10,000 role bindings while another set is
// active, and samples the heap during the swaps against the steady state:
// live heap (as marked by the last GC: what the process holds) and heap
// objects (live plus garbage not yet collected, which GOGC lets grow).
// The heap sampler takes CPU of its own: "cost" runs without it.
func BenchmarkSwap10kBindings(b *testing.B) {
	sets := []map[string]*opabundle.Bundle{
		{"authz": rbacBundle(b, "a", 10_000)}, {"authz": rbacBundle(b, "b", 10_000)},
	}
	if res := evaluateWith(b, sets[0], "user-7"); !res {
		b.Fatal("user-7 denied; the bindings are not in effect")
	}
	b.Run("cost", func(b *testing.B) { benchSwap(b, sets, false) })
	b.Run("memory", func(b *testing.B) { benchSwap(b, sets, true) })
}

func benchSwap(b *testing.B, sets []map[string]*opabundle.Bundle, sample bool) {
	eng := engine.New(engine.Options{})
	ctx := context.Background()
	if _, err := eng.Activate(ctx, sets[0]); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	steady := readHeap()
	peak, stop := sampleHeap(sample)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := eng.Activate(ctx, sets[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	stop()
	if !sample {
		return
	}
	b.ReportMetric(float64(steady.live)/(1<<20), "steady-live-MiB")
	b.ReportMetric(float64(peak.live)/float64(steady.live), "peak/steady-live")
	b.ReportMetric(float64(peak.objects)/float64(steady.objects), "peak/steady-objects")
}

type heap struct{ live, objects uint64 }

// readHeap reads runtime/metrics, which does not stop the world.
func readHeap() heap {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return heap{live: s[0].Value.Uint64(), objects: s[1].Value.Uint64()}
}

// sampleHeap records the highest values seen every 200µs until stop.
func sampleHeap(on bool) (*heap, func()) {
	var peak heap
	if !on {
		return &peak, func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				h := readHeap()
				peak = heap{live: max(peak.live, h.live), objects: max(peak.objects, h.objects)}
			}
		}
	})
	return &peak, func() { close(done); wg.Wait() }
}

func jsonString(v any) (string, error) {
	out, err := json.Marshal(v)
	return string(out), err
}

func evaluateWith(b *testing.B, set map[string]*opabundle.Bundle, user string) bool {
	eng := engine.New(engine.Options{})
	if _, err := eng.Activate(context.Background(), set); err != nil {
		b.Fatal(err)
	}
	res, err := eng.Evaluate(context.Background(), pdp.Query{Input: map[string]any{"subject": map[string]any{"id": user}}})
	if err != nil {
		b.Fatal(err)
	}
	return res.Allow
}

// BenchmarkLoadTarball10kBindings is the other half of a swap from an HTTP
// source: reading (and verifying) the downloaded tarball.
func BenchmarkLoadTarball10kBindings(b *testing.B) {
	priv, pub := bundletest.KeyPair(b)
	set := rbacBundle(b, "a", 10_000)
	var buf bytes.Buffer
	if err := opabundle.Write(&buf, *set); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "authz.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	signed := filepath.Join(b.TempDir(), "signed.tar.gz")
	var sbuf bytes.Buffer
	if err := bundle.Sign(path, bundle.Signing{KeyFile: priv}, &sbuf); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(signed, sbuf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	vc, err := bundle.Key{File: pub}.VerificationConfig()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("tarball %d bytes", buf.Len())
	b.Run("unsigned", func(b *testing.B) { benchLoad(b, path, nil) })
	b.Run("signed", func(b *testing.B) { benchLoad(b, signed, vc) })
}

func benchLoad(b *testing.B, path string, vc *opabundle.VerificationConfig) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bundle.LoadVerified(path, vc); err != nil {
			b.Fatal(err)
		}
	}
}

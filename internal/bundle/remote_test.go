package bundle_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
	"github.com/pdp-project/pdp/internal/engine"
)

// countingEngine counts the activations that reach the engine.
type countingEngine struct {
	*engine.Engine
	calls atomic.Int64
}

func (c *countingEngine) Activate(ctx context.Context, b map[string]*opabundle.Bundle) (string, error) {
	c.calls.Add(1)
	return c.Engine.Activate(ctx, b)
}

// startOpts runs a manager with opts (Activator: a counting engine) until
// the test ends.
func startOpts(t *testing.T, opts bundle.Options) (*bundle.Manager, *countingEngine) {
	t.Helper()
	eng := &countingEngine{Engine: engine.New(engine.Options{})}
	opts.Activator = eng
	if opts.Retry == 0 {
		opts.Retry = 200 * time.Millisecond
	}
	m, err := bundle.NewManager(opts)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return m, eng
}

func TestRemotePollsWithETags(t *testing.T) {
	srv := bundletest.NewServer(t)
	srv.RequireToken("s3cret")
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, "s3cret\n")
	srv.Set("authz", bundletest.Build(t, bundletest.Policy("r1", false), bundle.Signing{}))
	m, eng := startOpts(t, bundle.Options{Paths: []string{srv.URL("authz")}, Poll: 100 * time.Millisecond, TokenFile: token})
	waitFor(t, "r1", revisionIs(m, "r1"))
	first := m.Status().Bundles[0].LastActivation
	waitFor(t, "three 304s", func() bool { _, same := srv.Counts(); return same >= 3 })
	if n := eng.calls.Load(); n != 1 || !m.Status().Bundles[0].LastActivation.Equal(first) {
		t.Fatalf("after 304s: %d activations, last %v (first %v); want 1", n, m.Status().Bundles[0].LastActivation, first)
	}
	srv.Set("authz", bundletest.Build(t, bundletest.Policy("r2", true), bundle.Signing{}))
	published := time.Now()
	waitFor(t, "r2", revisionIs(m, "r2"))
	t.Logf("r2 active %v after publication (poll 100ms)", time.Since(published))
	if res := evaluate(t, eng.Engine, "alice"); !res.Allow || res.BundleRevision != "r2" {
		t.Fatalf("Evaluate = %+v, want allow at r2", res)
	}
	if ok, _ := srv.Counts(); ok != 2 {
		t.Errorf("server sent %d bundles, want 2 (one per revision)", ok)
	}
	if st := m.Status().Bundles[0]; st.Name != "authz" || st.Source != srv.URL("authz") {
		t.Errorf("status = %+v", st)
	}
}

// TestRemoteRejects: each broken or untrusted bundle is rejected with a
// reason while the signed revision r1 keeps serving.
func TestRemoteRejects(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	otherPriv, _ := bundletest.KeyPair(t)
	signed := bundletest.Build(t, bundletest.Policy("r1", true), bundle.Signing{KeyFile: priv})
	tampered := func(change func(bundletest.Files)) []byte {
		files := bundletest.Untar(t, bundletest.Build(t, bundletest.Policy("r2", false), bundle.Signing{KeyFile: priv}))
		change(files)
		return bundletest.Tarball(t, files)
	}
	tests := map[string]struct {
		tarball []byte
		want    string
	}{
		"corrupt tarball": {[]byte("\x1f\x8bnot really gzip"), "download"},
		"compile error": {bundletest.Build(t, bundletest.Files{".manifest": `{"revision": "r2", "roots": ["authz"]}`,
			"authz.rego": "package authz\n\ndecision := true\n", "data.json": `{"authz": {"decision": 1}}`},
			bundle.Signing{KeyFile: priv}), "conflict"},
		"bad signature":     {bundletest.Build(t, bundletest.Policy("r2", false), bundle.Signing{KeyFile: otherPriv}), "verification"},
		"missing signature": {bundletest.Build(t, bundletest.Policy("r2", false), bundle.Signing{}), "missing .signatures.json"},
		"file added": {tampered(func(f bundletest.Files) {
			f["authz/extra.rego"] = "package authz\n\nextra := true\n"
		}), "extra.rego"},
		"file changed": {tampered(func(f bundletest.Files) {
			f["authz.rego"] = "package authz\n\ndecision := true\n"
		}), "digest mismatch"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := bundletest.NewServer(t)
			srv.Set("authz", signed)
			m, eng := startOpts(t, bundle.Options{Paths: []string{srv.URL("authz")}, Poll: 50 * time.Millisecond,
				Key: bundle.Key{File: pub}})
			waitFor(t, "r1", revisionIs(m, "r1"))
			srv.Set("authz", tc.tarball)
			waitFor(t, "an error", func() bool { return lastError(m) != "" })
			if got := lastError(m); !strings.Contains(got, tc.want) {
				t.Errorf("last error %q does not mention %q", got, tc.want)
			}
			if res := evaluate(t, eng.Engine, "alice"); !res.Allow || res.BundleRevision != "r1" || m.Status().Revision != "r1" {
				t.Errorf("Evaluate = %+v, status %+v; want r1 still serving", res, m.Status())
			}
		})
	}
}

func TestRemoteServesPersistedCopy(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	dataDir := t.TempDir()
	srv := bundletest.NewServer(t)
	srv.Set("authz", bundletest.Build(t, bundletest.Policy("r1", true), bundle.Signing{KeyFile: priv}))
	opts := bundle.Options{Paths: []string{srv.URL("authz")}, Poll: 50 * time.Millisecond, Key: bundle.Key{File: pub}, DataDir: dataDir}
	run := func(t *testing.T) *bundle.Manager {
		m, _ := startOpts(t, opts)
		return m
	}
	t.Run("first start downloads and persists", func(t *testing.T) {
		m := run(t)
		waitFor(t, "r1", revisionIs(m, "r1"))
		waitFor(t, "the persisted copy", func() bool {
			_, err := os.Stat(filepath.Join(dataDir, "bundles", "authz", "bundle.tar.gz"))
			return err == nil
		})
	})
	srv.SetDown(true)
	t.Run("server down: persisted copy serves", func(t *testing.T) {
		m := run(t)
		waitFor(t, "r1", revisionIs(m, "r1"))
		if got := lastError(m); !strings.Contains(got, "Service Unavailable") || !strings.Contains(got, "persisted") {
			t.Errorf("last error = %q, want the download failure and the persisted copy", got)
		}
	})
	t.Run("server down, persisted copy tampered: not served", func(t *testing.T) {
		path := filepath.Join(dataDir, "bundles", "authz", "bundle.tar.gz")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files := bundletest.Untar(t, raw)
		files["authz.rego"] = "package authz\n\ndecision := false\n"
		if err := os.WriteFile(path, bundletest.Tarball(t, files), 0o600); err != nil {
			t.Fatal(err)
		}
		m := run(t)
		waitFor(t, "an error", func() bool { return strings.Contains(lastError(m), "persisted copy rejected") })
		if m.Ready() {
			t.Fatal("ready with a tampered persisted copy")
		}
	})
}

// TestRemoteWithDirectory: an URL source and a directory activate together
// (combined revision in name order); an URL bundle whose roots overlap the
// directory's is rejected and the old set keeps serving.
func TestRemoteWithDirectory(t *testing.T) {
	system := filepath.Join(t.TempDir(), "system")
	writeFile(t, mkdir(t, system)+"/.manifest", `{"revision": "s1", "roots": ["system"]}`)
	writeFile(t, system+"/authz.rego", "package system.authz\n\nallow := true\n")
	srv := bundletest.NewServer(t)
	srv.Set("authz", bundletest.Build(t, bundletest.Policy("r1", true), bundle.Signing{}))
	m, eng := startOpts(t, bundle.Options{Paths: []string{srv.URL("authz"), system}, Poll: 50 * time.Millisecond})
	waitFor(t, "both bundles", revisionIs(m, "authz:r1,system:s1"))
	overlap := bundletest.Policy("r2", false)
	overlap[".manifest"] = `{"revision": "r2", "roots": ["authz", "system/extra"]}`
	srv.Set("authz", bundletest.Build(t, overlap, bundle.Signing{}))
	waitFor(t, "an overlap error", func() bool { return strings.Contains(lastError(m), "overlap") })
	if res := evaluate(t, eng.Engine, "alice"); !res.Allow || res.BundleRevision != "authz:r1,system:s1" {
		t.Errorf("Evaluate = %+v, want the old set", res)
	}
}

// TestRemoteObservesFailures: a URL bundle that does not parse or arrives
// truncated is a failed activation for the observer (metrics), as a local
// bundle that does not load is, while r1 keeps serving.
func TestRemoteObservesFailures(t *testing.T) {
	good := bundletest.Tarball(t, bundletest.Policy("r1", true))
	broken := bundletest.Policy("r2", true)
	broken["authz.rego"] = "package authz\n\ndecision := {\n"
	tests := map[string][]byte{
		"syntax error":      bundletest.Tarball(t, broken),
		"truncated tarball": good[:len(good)/2],
	}
	for name, tarball := range tests {
		t.Run(name, func(t *testing.T) {
			srv := bundletest.NewServer(t)
			srv.Set("authz", good)
			var obs failures
			m, _ := startOpts(t, bundle.Options{Paths: []string{srv.URL("authz")}, Poll: 50 * time.Millisecond, Observer: &obs})
			waitFor(t, "r1", revisionIs(m, "r1"))
			if n := obs.n.Load(); n != 0 {
				t.Fatalf("observer told of %d failures before the bad bundle, want 0", n)
			}
			srv.Set("authz", tarball)
			waitFor(t, "an error", func() bool { return lastError(m) != "" })
			waitFor(t, "the observer told", func() bool { return obs.n.Load() > 0 })
			if got := m.Status().Revision; got != "r1" {
				t.Errorf("revision = %q, want r1 still serving", got)
			}
		})
	}
}

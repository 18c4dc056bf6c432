package bundle_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/engine"
)

// copyDir copies a testdata bundle into a fresh temporary directory named
// name and returns its path.
func copyDir(t *testing.T, src, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

// tarGz writes the files under dir into a gzipped tar at dst, via a
// temporary file renamed into place as a publisher would.
func tarGz(t *testing.T, dir, dst string) {
	t.Helper()
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatalf("tar %s: %v", dir, err)
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func manifest(revision string) string {
	return `{"revision": "` + revision + `", "roots": ["authz"], "metadata": {"entrypoint": "authz/decision"}}`
}

// start runs a manager over paths, activating into a new engine, and stops
// it when the test ends, checking that Run returned.
func start(t *testing.T, paths ...string) (*bundle.Manager, *engine.Engine) {
	t.Helper()
	m, eng := startOpts(t, bundle.Options{Paths: paths})
	return m, eng.Engine
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func revisionIs(m *bundle.Manager, want string) func() bool {
	return func() bool { st := m.Status(); return st.Ready && st.Revision == want }
}

func lastError(m *bundle.Manager) string {
	return m.Status().Bundles[0].LastError
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

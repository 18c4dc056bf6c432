package bundle_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

type activatorFunc func(context.Context, map[string]*opabundle.Bundle) (string, error)

func (f activatorFunc) Activate(ctx context.Context, b map[string]*opabundle.Bundle) (string, error) {
	return f(ctx, b)
}

var _ bundle.Activator = (*engine.Engine)(nil)

func evaluate(t *testing.T, eng *engine.Engine, id string) pdp.Result {
	t.Helper()
	res, err := eng.Evaluate(context.Background(), pdp.Query{Input: map[string]any{"subject": map[string]any{"id": id}}})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

func TestManagerReloadsDirectory(t *testing.T) {
	dir := copyDir(t, filepath.Join("testdata", "example"), "example")
	m, eng := start(t, dir)
	waitFor(t, "revision 1", revisionIs(m, "1"))
	if res := evaluate(t, eng, "alice"); !res.Allow || res.BundleRevision != "1" {
		t.Fatalf("Evaluate = %+v, want allow at revision 1", res)
	}

	writeFile(t, filepath.Join(dir, "authz", "data.json"), `{"admins": ["bob"]}`)
	writeFile(t, filepath.Join(dir, ".manifest"), manifest("2"))
	waitFor(t, "revision 2", revisionIs(m, "2"))
	if res := evaluate(t, eng, "bob"); !res.Allow || res.BundleRevision != "2" {
		t.Fatalf("Evaluate = %+v, want bob allowed at revision 2", res)
	}

	policy := filepath.Join(dir, "authz", "policy.rego")
	writeFile(t, policy, "package authz\ndecision := {\n")
	waitFor(t, "a load error", func() bool { return lastError(m) != "" })
	if st := m.Status(); !st.Ready || st.Revision != "2" || st.Bundles[0].Revision != "2" {
		t.Errorf("Status after broken reload = %+v, want revision 2 still active", st)
	}
	if rev, _ := eng.Revision(); rev != "2" {
		t.Errorf("engine revision = %q, want 2", rev)
	}

	writeFile(t, policy, "package authz\ndecision := {\"allow\": true}\n")
	writeFile(t, filepath.Join(dir, ".manifest"), manifest("3"))
	waitFor(t, "revision 3", revisionIs(m, "3"))
	if st := m.Status(); st.Bundles[0].LastError != "" || st.Bundles[0].LastActivation.IsZero() {
		t.Errorf("Status after recovery = %+v", st)
	}
}

func TestManagerCompileErrorKeepsActiveSet(t *testing.T) {
	dir := copyDir(t, filepath.Join("testdata", "example"), "example")
	m, eng := start(t, dir)
	waitFor(t, "revision 1", revisionIs(m, "1"))
	writeFile(t, filepath.Join(dir, "authz", "policy.rego"), "package authz\ndecision := undefined_fn(1)\n")
	writeFile(t, filepath.Join(dir, ".manifest"), manifest("2"))
	waitFor(t, "an activation error", func() bool { return strings.Contains(lastError(m), "undefined_fn") })
	if res := evaluate(t, eng, "alice"); !res.Allow || res.BundleRevision != "1" {
		t.Errorf("Evaluate = %+v, want allow at revision 1", res)
	}
}

func TestManagerStartsBroken(t *testing.T) {
	dir := copyDir(t, filepath.Join("testdata", "example"), "example")
	policy := filepath.Join(dir, "authz", "policy.rego")
	writeFile(t, policy, "package authz\ndecision := {\n")
	m, eng := start(t, dir)
	waitFor(t, "a load error", func() bool { return lastError(m) != "" })
	if m.Ready() || m.Status().Ready {
		t.Fatal("ready with a broken bundle")
	}
	if _, ok := eng.Revision(); ok {
		t.Fatal("engine has an active bundle")
	}
	writeFile(t, policy, "package authz\ndecision := true\n")
	waitFor(t, "ready", m.Ready)
	if st := m.Status(); st.Revision != "1" || st.Bundles[0].LastError != "" {
		t.Errorf("Status = %+v, want revision 1 without error", st)
	}
}

// failures counts the failed attempts an observer is told of.
type failures struct{ n atomic.Int64 }

func (f *failures) Activated(err error) {
	if err != nil {
		f.n.Add(1)
	}
}

// TestManagerObservesLoadFailures: a bundle that does not even parse is a
// failed activation for the observer (metrics), as a compile error is.
func TestManagerObservesLoadFailures(t *testing.T) {
	dir := copyDir(t, filepath.Join("testdata", "example"), "example")
	writeFile(t, filepath.Join(dir, "authz", "policy.rego"), "package authz\ndecision := {\n")
	var obs failures
	m, _ := startOpts(t, bundle.Options{Paths: []string{dir}, Observer: &obs})
	waitFor(t, "a load error", func() bool { return lastError(m) != "" })
	waitFor(t, "the observer told", func() bool { return obs.n.Load() > 0 })
}

func TestManagerTarball(t *testing.T) {
	src := copyDir(t, filepath.Join("testdata", "example"), "example")
	tarball := filepath.Join(t.TempDir(), "example.tar.gz")
	tarGz(t, src, tarball)
	m, eng := start(t, tarball)
	waitFor(t, "revision 1", revisionIs(m, "1"))
	writeFile(t, filepath.Join(src, ".manifest"), manifest("2"))
	tarGz(t, src, tarball)
	waitFor(t, "revision 2", revisionIs(m, "2"))
	if res := evaluate(t, eng, "alice"); !res.Allow || res.BundleRevision != "2" {
		t.Errorf("Evaluate = %+v, want allow at revision 2", res)
	}
	if st := m.Status(); st.Bundles[0].Name != "example" || st.Bundles[0].Source != tarball {
		t.Errorf("Status = %+v", st)
	}
}

func TestManagerSeveralSources(t *testing.T) {
	example := copyDir(t, filepath.Join("testdata", "example"), "example")
	system := filepath.Join(t.TempDir(), "system")
	writeFile(t, mkdir(t, system)+"/.manifest", `{"revision": "s1", "roots": ["system"]}`)
	writeFile(t, system+"/authz.rego", "package system.authz\nallow := true\n")
	m, _ := start(t, system, example)
	waitFor(t, "both bundles", revisionIs(m, "example:1,system:s1"))

	writeFile(t, system+"/.manifest", `{"revision": "s2", "roots": ["system", "authz"]}`)
	waitFor(t, "an overlap error", func() bool { return strings.Contains(lastError(m), "overlap") })
	if st := m.Status(); st.Revision != "example:1,system:s1" || st.Bundles[1].LastError != "" {
		t.Errorf("Status = %+v, want the old set and no error on example", st)
	}
	writeFile(t, system+"/.manifest", `{"revision": "s3", "roots": ["system"]}`)
	waitFor(t, "recovery", revisionIs(m, "example:1,system:s3"))
}

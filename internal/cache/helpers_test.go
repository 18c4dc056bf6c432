package cache_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// policyBundle builds a bundle from testdata/<file> with data under authz.
func policyBundle(t testing.TB, revision, file string, data map[string]any) *bundle.Bundle {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return sourceBundle(t, revision, file, string(raw), data)
}

// sourceBundle builds a bundle from one module (path file, text src) with
// data under authz.
func sourceBundle(t testing.TB, revision, file, src string, data map[string]any) *bundle.Bundle {
	t.Helper()
	raw := []byte(src)
	parsed, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return &bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision, Roots: &[]string{"authz"}},
		Modules:  []bundle.ModuleFile{{URL: file, Path: file, Raw: raw, Parsed: parsed}},
		Data:     map[string]any{"authz": data},
	}
}

func newEngine(t testing.TB, b *bundle.Bundle) *engine.Engine {
	t.Helper()
	e := engine.New(engine.Options{})
	activate(t, e, b)
	return e
}

func activate(t testing.TB, e *engine.Engine, b *bundle.Bundle) {
	t.Helper()
	if _, err := e.Activate(context.Background(), map[string]*bundle.Bundle{"b": b}); err != nil {
		t.Fatalf("Activate: %v", err)
	}
}

// counting is the real engine with a count of evaluations and an optional
// gate that holds every evaluation until closed.
type counting struct {
	*engine.Engine
	n    atomic.Int64
	gate chan struct{}
}

func (c *counting) Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error) {
	c.n.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Engine.Evaluate(ctx, q)
}

// request builds the input of a read of doc d1 by subject id with roles
// and attributes, at now unless env names a time.
func request(id string, roles []string, attrs, env map[string]any, now time.Time) map[string]any {
	return pdp.Request{
		Subject:     pdp.Subject{Type: "user", ID: id, Roles: roles, Attributes: attrs},
		Resource:    pdp.Resource{Type: "doc", ID: "d1", Attributes: map[string]any{"owner": "olga"}},
		Action:      pdp.Action{Name: "read"},
		Environment: env,
	}.Input(now)
}

package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
)

// readDir reads a bundle directory under testdata with OPA's reader.
func readDir(t testing.TB, name string) *bundle.Bundle {
	t.Helper()
	b, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(filepath.Join("testdata", name))).Read()
	if err != nil {
		t.Fatalf("read bundle %s: %v", name, err)
	}
	return &b
}

// policy builds an in-memory bundle with one module under one root.
func policy(t testing.TB, revision, root, module string, meta map[string]any) *bundle.Bundle {
	t.Helper()
	parsed, err := ast.ParseModuleWithOpts(root+".rego", module, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatalf("parse module: %v", err)
	}
	return &bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision, Roots: &[]string{root}, Metadata: meta},
		Modules:  []bundle.ModuleFile{{URL: root + ".rego", Path: root + ".rego", Raw: []byte(module), Parsed: parsed}},
		Data:     map[string]any{},
	}
}

// bundleOf builds an in-memory bundle from modules (path -> source) with
// the given roots, data and metadata.
func bundleOf(t testing.TB, revision string, roots []string, modules map[string]string, data, meta map[string]any) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{Manifest: bundle.Manifest{Revision: revision, Roots: &roots, Metadata: meta}, Data: data}
	for path, src := range modules {
		parsed, err := ast.ParseModuleWithOpts(path, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: path, Path: path, Raw: []byte(src), Parsed: parsed})
	}
	return b
}

// allowIf is an authz/decision policy that allows when input.subject.id is id.
func allowIf(t testing.TB, revision, id string) *bundle.Bundle {
	return policy(t, revision, "authz", `package authz
decision := input.subject.id == "`+id+`"
`, nil)
}

func activate(t testing.TB, e *engine.Engine, bundles map[string]*bundle.Bundle) string {
	t.Helper()
	rev, err := e.Activate(context.Background(), bundles)
	if err != nil {
		t.Fatalf("Activate: %v", err)
	}
	return rev
}

func subject(id string) map[string]any {
	return map[string]any{"subject": map[string]any{"id": id}}
}

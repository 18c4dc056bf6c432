package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFmt: pdp fmt lists the files opa fmt would change and fails; -w
// rewrites them, after which fmt and lint have nothing to say about format.
func TestFmt(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(authoringData + "/lint/style/authz/policy.rego")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "authz", "policy.rego")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runTool("lint", path); !strings.Contains(out, "(run: pdp fmt -w "+path+")") {
		t.Errorf("lint does not point to pdp fmt:\n%s", out)
	}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"fmt", dir}, exitFailure, path + "\n"},
		{[]string{"fmt", "-w", dir}, exitOK, path + "\n"},
		{[]string{"fmt", dir}, exitOK, ""},
		{[]string{"fmt", path}, exitOK, ""},
		{[]string{"fmt", authoringData + "/lint/parse-error"}, exitFailure, ""},
		{[]string{"fmt", filepath.Join(dir, "missing")}, exitUsage, ""},
		{[]string{"fmt", "testdata/request.json"}, exitUsage, ""},
		{[]string{"fmt"}, exitUsage, ""},
	}
	for _, s := range steps {
		code, out, errOut := runTool(s.args...)
		if code != s.code || out != s.out {
			t.Errorf("%v: exit %d, want %d; stdout %q, want %q; stderr:\n%s", s.args, code, s.code, out, s.out, errOut)
		}
	}
	if _, out, _ := runTool("lint", path); strings.Contains(out, "opa-fmt") {
		t.Errorf("lint after pdp fmt -w:\n%s", out)
	}
}

package authoring_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
)

// copyFile copies src into dir and returns the copy's path.
func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFormat: Format reports a file opa fmt would change, rewrites it only
// with write (then lint finds nothing to format), and names the line of a
// parse error.
func TestFormat(t *testing.T) {
	dir := t.TempDir()
	path := copyFile(t, "testdata/lint/style/authz/policy.rego", dir)
	before, _ := os.ReadFile(path)
	if changed, err := authoring.Format(path, false); err != nil || !changed {
		t.Fatalf("Format(check) = %v, %v; want changed", changed, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("Format without write changed the file")
	}
	if changed, err := authoring.Format(path, true); err != nil || !changed {
		t.Fatalf("Format(write) = %v, %v; want changed", changed, err)
	}
	if changed, err := authoring.Format(path, false); err != nil || changed {
		t.Errorf("after write: Format = %v, %v; want formatted", changed, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", info.Mode().Perm())
	}
	findings, err := authoring.Lint(path)
	for _, f := range findings {
		if f.Rule == "opa-fmt" || err != nil {
			t.Errorf("lint after fmt: %v %v", f, err)
		}
	}
	bad := copyFile(t, "testdata/lint/parse-error/authz/policy.rego", t.TempDir())
	if _, err := authoring.Format(bad, true); err == nil || !strings.Contains(err.Error(), "policy.rego:7") {
		t.Errorf("parse error: %v", err)
	}
}

func TestRegoFiles(t *testing.T) {
	files, err := authoring.RegoFiles("testdata/lint/no-subject")
	if err != nil || strings.Join(files, ",") != "testdata/lint/no-subject/authz/allow.rego,testdata/lint/no-subject/authz/policy.rego" {
		t.Errorf("RegoFiles = %v, %v", files, err)
	}
	if _, err := authoring.RegoFiles("testdata/lint/no-subject/want.txt"); err == nil {
		t.Error("a file that is not Rego: want an error")
	}
}

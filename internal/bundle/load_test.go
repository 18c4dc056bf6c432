package bundle_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/bundle"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestLoad(t *testing.T) {
	dir := filepath.Join("testdata", "example")
	tarball := filepath.Join(t.TempDir(), "example.tar.gz")
	tarGz(t, dir, tarball)
	for _, path := range []string{dir, tarball} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := bundle.Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if b.Manifest.Revision != "1" || b.Manifest.Metadata["entrypoint"] != "authz/decision" {
				t.Errorf("manifest = %+v", b.Manifest)
			}
			if len(b.Modules) != 1 || !strings.HasSuffix(b.Modules[0].Path, "authz/policy.rego") {
				t.Errorf("modules = %+v, want authz/policy.rego only", b.Modules)
			}
			want := map[string]any{"authz": map[string]any{"admins": []any{"alice"}}}
			if !reflect.DeepEqual(b.Data, want) {
				t.Errorf("data = %v, want %v (no decision cases)", b.Data, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	broken := copyDir(t, filepath.Join("testdata", "example"), "broken")
	writeFile(t, filepath.Join(broken, "authz", "policy.rego"), "package authz\ndecision := {\n")
	notGzip := filepath.Join(t.TempDir(), "plain.tar.gz")
	writeFile(t, notGzip, "not a tarball")
	missing := filepath.Join(t.TempDir(), "missing")
	for _, path := range []string{broken, notGzip, missing} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := bundle.Load(path)
			if err == nil || !strings.HasPrefix(err.Error(), `load bundle "`+path+`": `) {
				t.Fatalf("Load error = %v, want one wrapped with the path", err)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := map[string]string{
		"bundles/example":                       "example",
		"bundles/example/":                      "example",
		"/srv/system.tar.gz":                    "system",
		"clinic":                                "clinic",
		"dist/clinic-v2.tar.gz":                 "clinic-v2",
		"dist/archive.tgz.other":                "archive.tgz.other",
		"https://h/b/clinic.tar.gz?token=T":     "clinic",
		"https://u:p@h:bad/b/clinic.tar.gz?t=T": "clinic", // invalid port: no query in the name
	}
	for path, want := range tests {
		if got := bundle.Name(path); got != want {
			t.Errorf("Name(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestNewManagerErrors(t *testing.T) {
	eng := activatorFunc(nil)
	tests := map[string]bundle.Options{
		"no paths":     {Activator: eng},
		"no activator": {Paths: []string{"a"}},
		"same name":    {Paths: []string{"x/example", "y/example.tar.gz"}, Activator: eng},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := bundle.NewManager(opts); err == nil {
				t.Fatal("NewManager succeeded")
			}
		})
	}
}

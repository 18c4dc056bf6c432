// Package bundle loads OPA bundles from their sources (directories and
// .tar.gz files), activates them together into the engine and reloads them
// when they change on disk, never replacing the active set with a broken one.
package bundle

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// caseFileSuffix names decision-case files: they live beside the policies
// but are never part of a bundle.
const caseFileSuffix = ".decisions.yaml"

// Load reads one bundle from a directory or a .tar.gz file (decided by stat)
// with OPA's bundle reader, leaving decision-case files out. A signed bundle
// needs LoadVerified: without a key its signature cannot be checked.
func Load(path string) (*bundle.Bundle, error) {
	return LoadVerified(path, nil)
}

// LoadVerified is Load with signature verification: with vc set, a bundle
// without a valid signature over every file is an error.
func LoadVerified(path string, vc *bundle.VerificationConfig) (*bundle.Bundle, error) {
	b, err := read(path, vc)
	if err != nil {
		return nil, fmt.Errorf("load bundle %q: %w", path, err)
	}
	return b, nil
}

func read(path string, vc *bundle.VerificationConfig) (*bundle.Bundle, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		loader := bundle.NewDirectoryLoader(path).WithFilter(skipCaseFiles)
		r := bundle.NewCustomReader(loader)
		if vc == nil {
			// Module paths name the directory, for error messages. With a
			// key they stay relative: a signature names files relative to
			// the bundle root, as in a tarball, so an unpacked signed
			// tarball verifies as a directory.
			r = r.WithBaseDir(path)
		}
		return readWith(r, vc)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	loader := bundle.NewTarballLoaderWithBaseURL(f, path).WithFilter(skipCaseFiles)
	return readWith(bundle.NewCustomReader(loader), vc)
}

func readWith(r *bundle.Reader, vc *bundle.VerificationConfig) (*bundle.Bundle, error) {
	b, err := r.WithProcessAnnotations(true).WithBundleVerificationConfig(vc).Read()
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// skipCaseFiles is a loader filter: true leaves the file out.
func skipCaseFiles(path string, info fs.FileInfo, _ int) bool {
	return !info.IsDir() && isCaseFile(path)
}

func isCaseFile(path string) bool {
	return strings.HasSuffix(filepath.Base(path), caseFileSuffix)
}

// Name is the bundle name of a source: the last element of its path (of an
// URL's path) without ".tar.gz" (bundles/example -> "example",
// https://host/b/clinic.tar.gz?v=1 -> "clinic").
func Name(source string) string {
	if IsURL(source) {
		if u, err := url.Parse(source); err == nil {
			return strings.TrimSuffix(path.Base(u.Path), ".tar.gz")
		}
		source = cutSecrets(source) // an invalid URL: keep its query out of the name
	}
	return strings.TrimSuffix(filepath.Base(filepath.Clean(source)), ".tar.gz")
}

// IsURL reports whether a source is an HTTP(S) URL rather than a path.
func IsURL(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

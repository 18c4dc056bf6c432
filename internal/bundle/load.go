// Package bundle loads OPA bundles from their sources (directories and
// .tar.gz files), activates them together into the engine and reloads them
// when they change on disk, never replacing the active set with a broken one.
package bundle

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// caseFileSuffix names decision-case files: they live beside the policies
// but are never part of a bundle (DESIGN.md §6a).
const caseFileSuffix = ".decisions.yaml"

// Load reads one bundle from a directory or a .tar.gz file (decided by stat)
// with OPA's bundle reader, leaving decision-case files out.
func Load(path string) (*bundle.Bundle, error) {
	b, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("load bundle %q: %w", path, err)
	}
	return b, nil
}

func read(path string) (*bundle.Bundle, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		loader := bundle.NewDirectoryLoader(path).WithFilter(skipCaseFiles)
		return readWith(bundle.NewCustomReader(loader).WithBaseDir(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	loader := bundle.NewTarballLoaderWithBaseURL(f, path).WithFilter(skipCaseFiles)
	return readWith(bundle.NewCustomReader(loader))
}

func readWith(r *bundle.Reader) (*bundle.Bundle, error) {
	b, err := r.WithProcessAnnotations(true).Read()
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

// Name is the bundle name of a source path: its base name without
// ".tar.gz" (bundles/example -> "example").
func Name(path string) string {
	return strings.TrimSuffix(filepath.Base(filepath.Clean(path)), ".tar.gz")
}

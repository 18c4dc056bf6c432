package authoring

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/format"
)

// RegoFiles lists the Rego files at path: the file itself, or every .rego
// file below a directory (tests and nested bundles included), sorted. A
// missing path is an error wrapping fs.ErrNotExist.
func RegoFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if !strings.HasSuffix(path, ".rego") {
			return nil, fmt.Errorf("%s: not a directory or a .rego file", path)
		}
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rego") {
			files = append(files, p)
		}
		return err
	})
	return files, err
}

// Format formats one Rego file as opa fmt does (Rego v1). It reports
// whether the file's content differs from its formatted form and, with
// write, replaces the content (keeping the file's mode). A file that does
// not parse is an error naming its line.
func Format(path string, write bool) (changed bool, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	out, err := format.Source(path, src)
	if err != nil {
		return false, err
	}
	if bytes.Equal(src, out) {
		return false, nil
	}
	if write {
		info, err := os.Stat(path)
		if err != nil {
			return true, err
		}
		if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
			return true, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return true, nil
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pdp-project/pdp/internal/bundle"
)

// checkBundleSources reports the local --bundle paths pdp serve cannot
// serve: one that does not exist, and a directory of policy sources (Rego
// tests, nested bundles) that OPA's bundle reader refuses, with the way to
// serve it. Other faults of a bundle are the server's to report and retry.
func checkBundleSources(sources []string) error {
	var errs []error
	for _, s := range sources {
		if !bundle.IsURL(s) {
			errs = append(errs, checkLocalBundle(s))
		}
	}
	return errors.Join(errs...)
}

func checkLocalBundle(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--bundle %s: no such file or directory", path)
	}
	if err != nil || !info.IsDir() {
		return nil
	}
	if _, err := bundle.Load(path); err == nil {
		return nil
	}
	nested, err := bundle.NestedBundles(path)
	if err != nil {
		return nil
	}
	tests := regoTests(path, nested)
	if len(nested) == 0 && len(tests) == 0 {
		return nil
	}
	return sourceDirError(path, nested, tests)
}

// regoTests lists the Rego test files under dir, nested bundles left out.
func regoTests(dir string, nested []string) []string {
	var tests []string
	_ = fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != "." && contains(nested, p):
			return fs.SkipDir
		case !d.IsDir() && strings.HasSuffix(p, "_test.rego"):
			tests = append(tests, p)
		}
		return nil
	})
	return tests
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sourceDirError says what makes path sources rather than a bundle, and
// how to serve it.
func sourceDirError(path string, nested, tests []string) error {
	var holds []string
	if len(tests) > 0 {
		holds = append(holds, "Rego tests ("+someOf(tests)+")")
	}
	if len(nested) > 0 {
		holds = append(holds, "nested bundles ("+someOf(nested)+"), each built and served on its own")
	}
	name := filepath.Base(path)
	if abs, err := filepath.Abs(path); err == nil {
		name = filepath.Base(abs) // "." names the current directory
	}
	out := name + ".tar.gz"
	return fmt.Errorf("--bundle %s: a directory of policy sources, not a bundle: it holds %s; "+
		"build the bundle and serve that: pdp bundle build %s -o %s, then pdp serve --bundle %s",
		path, strings.Join(holds, " and "), path, out, out)
}

// someOf names the first items of a list and counts the others.
func someOf(items []string) string {
	const shown = 3
	if len(items) <= shown {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:shown], ", "), len(items)-shown)
}

// checkDataDir reports a --data-dir pdp serve cannot write: one that is,
// or lies under, a file, or whose directory (or nearest existing parent,
// when it is still to be created) takes no new file.
func checkDataDir(dir string) error {
	probe := filepath.Clean(dir)
	for {
		info, err := os.Stat(probe)
		if err == nil && !info.IsDir() {
			return fmt.Errorf("--data-dir %s: %s is not a directory", dir, probe)
		}
		if err == nil {
			break
		}
		missing := errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) // under a file: said at the file
		if !missing || filepath.Dir(probe) == probe {
			return fmt.Errorf("--data-dir %s: %w", dir, err)
		}
		probe = filepath.Dir(probe)
	}
	f, err := os.CreateTemp(probe, ".pdp-write-test-*")
	if err != nil {
		return fmt.Errorf("--data-dir %s: not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

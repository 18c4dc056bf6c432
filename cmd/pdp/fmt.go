package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pdp-project/pdp/internal/authoring"
)

// runFmt is pdp fmt [-w] PATH...: Rego files formatted as opa fmt formats
// them. It lists the files that are not formatted; without -w that fails
// (exit 1, for CI), with -w it rewrites them.
func runFmt(_ context.Context, e env, args []string) error {
	fs := newFlagSet("fmt", e)
	write := fs.Bool("w", false, "rewrite the files that are not formatted (default: list them and exit 1)")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("usage: pdp fmt [-w] PATH... (policy directories or .rego files)")
	}
	files, err := regoFiles(paths)
	if err != nil {
		return err
	}
	unformatted, failed := formatFiles(e, files, *write)
	switch {
	case failed > 0:
		return fmt.Errorf("fmt: %d of %d files do not parse", failed, len(files))
	case unformatted > 0 && !*write:
		return fmt.Errorf("fmt: %d of %d files are not formatted (pdp fmt -w rewrites them)", unformatted, len(files))
	}
	return nil
}

// regoFiles expands the paths; a path that does not exist, or a file that
// is not Rego, is a usage error.
func regoFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		found, err := authoring.RegoFiles(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("fmt: %s: no such file or directory", p)
		}
		if err != nil {
			return nil, usagef("fmt: %v", err)
		}
		files = append(files, found...)
	}
	return files, nil
}

// formatFiles prints each file that is not formatted (rewritten with
// write) on stdout and each that does not parse on stderr.
func formatFiles(e env, files []string, write bool) (unformatted, failed int) {
	for _, f := range files {
		changed, err := authoring.Format(f, write)
		switch {
		case err != nil:
			fmt.Fprintf(e.stderr, "%v\n", err)
			failed++
		case changed:
			fmt.Fprintln(e.stdout, f)
			unformatted++
		}
	}
	return unformatted, failed
}

package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pdp-project/pdp/internal/authoring"
)

// runLint is pdp lint PATH: one finding per line (file:line: rule [severity]
// message); exit 1 when any finding is an error.
func runLint(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("usage: pdp lint PATH...")
	}
	roots, err := testRoots(paths)
	if err != nil {
		return err
	}
	var all []authoring.Finding
	for _, root := range roots {
		fs, err := authoring.Lint(root)
		if err != nil {
			return err
		}
		for _, f := range fs {
			f.File = root + "/" + f.File
			fmt.Fprintln(e.stdout, f)
			all = append(all, f)
		}
	}
	if authoring.HasErrors(all) {
		return fmt.Errorf("lint: %d findings, errors among them", len(all))
	}
	return nil
}

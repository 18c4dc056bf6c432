package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdp-project/pdp/internal/authoring"
)

// runLint is pdp lint PATH...: one finding per line (file:line: rule
// [severity] message); exit 1 when any finding is an error. A PATH is a
// policy directory (each nested bundle is linted on its own) or a .rego file.
func runLint(_ context.Context, e env, args []string) error {
	fs := newFlagSet("lint", e)
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("usage: pdp lint PATH...")
	}
	targets, err := lintTargets(paths)
	if err != nil {
		return err
	}
	var all []authoring.Finding
	for _, t := range targets {
		fs, err := lintOne(e, t)
		if err != nil {
			return err
		}
		all = append(all, fs...)
	}
	if authoring.HasErrors(all) {
		return fmt.Errorf("lint: %d findings, errors among them", len(all))
	}
	return nil
}

// lintTargets expands each path: a .rego file as it is, a directory into
// its policy sets.
func lintTargets(paths []string) ([]string, error) {
	var targets, dirs []string
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir() && strings.HasSuffix(p, ".rego"):
			targets = append(targets, p)
		case err == nil && !st.IsDir():
			return nil, usagef("lint: %s is not a directory or a .rego file", p)
		default:
			dirs = append(dirs, p)
		}
	}
	roots, err := testRoots(dirs)
	return append(targets, roots...), err
}

// lintOne lints one target and prints its findings with their full paths.
func lintOne(e env, target string) ([]authoring.Finding, error) {
	findings, err := authoring.Lint(target)
	if err != nil {
		return nil, err
	}
	base := target
	if strings.HasSuffix(target, ".rego") {
		base = filepath.Dir(target)
	}
	for i := range findings {
		findings[i].File = filepath.Join(base, findings[i].File)
		fmt.Fprintln(e.stdout, findings[i])
	}
	return findings, nil
}

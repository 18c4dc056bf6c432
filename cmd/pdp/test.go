package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/pdp-project/pdp/internal/authoring"
)

// runTest is pdp test [PATH...] [--coverage] [--threshold PCT] [--run REGEX]
// [-v]: Rego unit tests and decision cases of each policy set, reported like
// go test; exit 1 on any failure or coverage below the threshold.
func runTest(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("test", e)
	coverage := fs.Bool("coverage", false, "report line coverage of the policy files, per file and per rule")
	threshold := fs.Float64("threshold", 0, "fail when coverage is below `PCT` percent (implies --coverage)")
	run := fs.String("run", "", "run only the Rego tests and decision cases whose name matches this `regex`")
	verbose := fs.Bool("v", false, "print every test and case, not only failures")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := checkTestFlags(*threshold, *run); err != nil {
		return err
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	roots, err := testRoots(paths)
	if err != nil {
		return err
	}
	opts := authoring.TestOptions{Run: *run, Coverage: *coverage || *threshold > 0}
	return testRootsRun(ctx, e, roots, opts, *verbose, *threshold)
}

func checkTestFlags(threshold float64, run string) error {
	if threshold < 0 || threshold > 100 {
		return usagef("--threshold %v: want a percentage between 0 and 100", threshold)
	}
	if _, err := regexp.Compile(run); err != nil {
		return usagef("--run %q: not a regular expression: %v", run, err)
	}
	return nil
}

func testRoots(paths []string) ([]string, error) {
	var roots []string
	for _, p := range paths {
		rs, err := authoring.Roots(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("%s: no such directory", p)
		}
		if err != nil {
			return nil, usagef("%v", err)
		}
		roots = append(roots, rs...)
	}
	return roots, nil
}

func testRootsRun(ctx context.Context, e env, roots []string, opts authoring.TestOptions, verbose bool, threshold float64) error {
	failed := 0
	for _, root := range roots {
		res, err := authoring.Test(ctx, root, opts)
		if err != nil {
			fmt.Fprintf(e.stdout, "FAIL\t%s\t[setup failed]\n    %s\n", root, strings.ReplaceAll(err.Error(), "\n", "\n    "))
			failed++
			continue
		}
		if !authoring.WriteTestReport(e.stdout, res, verbose, threshold) {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d policy sets failed", failed, len(roots))
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

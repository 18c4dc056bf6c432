package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/pdp"
)

// runEval is pdp eval --bundle PATH --input FILE [--explain]: one decision,
// offline, printed as JSON with its revision and entrypoint; with --explain
// the explanation follows in plain text.
func runEval(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("eval", e)
	bundlePath := fs.String("bundle", "", "bundle `path`: a directory or .tar.gz (required)")
	input := fs.String("input", "", "`file` with a CheckRequest in JSON, as pdp check reads it (required)")
	explain := fs.Bool("explain", false, "explain which rules produced the decision")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bundlePath == "" || *input == "" || fs.NArg() > 0 {
		return usagef("usage: pdp eval --bundle PATH --input FILE [--explain]")
	}
	data, err := readInputFile(*input)
	if err != nil {
		return err
	}
	if err := existing("--bundle", *bundlePath); err != nil {
		return err
	}
	eng, err := authoring.Open(ctx, *bundlePath)
	if err != nil {
		return err
	}
	now := time.Now()
	res, err := authoring.Eval(ctx, eng, data, *explain, now)
	if pdp.ErrorCode(err) == pdp.CodeInvalidArgument {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if err := printEval(e, res, *explain); err != nil || !*explain || res.Allow {
		return err
	}
	return printFails(ctx, e, *bundlePath, res.Entrypoint, data, now)
}

// printFails follows the explanation of a deny with, for each rule that
// could have granted, the first condition that failed.
func printFails(ctx context.Context, e env, bundlePath, entrypoint string, request []byte, now time.Time) error {
	req, err := authoring.RequestFromJSON(request)
	if err != nil {
		return err
	}
	fails, err := authoring.Fails(ctx, bundlePath, entrypoint, authoring.Query(req, now).Input)
	if err != nil {
		return fmt.Errorf("explain the deny: %w", err)
	}
	authoring.WriteFails(e.stdout, fails)
	return nil
}

// readInputFile reads the request of --input; a missing file or one that
// is not a valid CheckRequest in JSON is a usage error.
func readInputFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--input %s: no such file", path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := authoring.RequestFromJSON(data); err != nil {
		return nil, usagef("--input %s: %v", path, err)
	}
	return data, nil
}

// existing makes a missing file a usage error.
func existing(flagName, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usagef("%s %s: no such file or directory", flagName, path)
	}
	return nil
}

func printEval(e env, res pdp.Result, explain bool) error {
	d := authoring.NewDecision(res)
	d.Explanation = ""
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(out))
	if explain {
		fmt.Fprintf(e.stdout, "\n%s\n", res.Explanation)
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/config"
	"github.com/pdp-project/pdp/internal/telemetry"
)

// defaultBundlePath is served when no --bundle is given (as from the repo
// root).
const defaultBundlePath = "bundles/example"

func runServe(ctx context.Context, e env, args []string) error {
	if wantsHelpMarkdown(args) {
		return writeHelpMarkdown(e.stdout)
	}
	cfg, err := loadServeConfig(e, args)
	if err != nil {
		return err
	}
	if cfg.PrintConfig {
		out, err := cfg.Redacted().YAML()
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(out)
		return err
	}
	log, err := telemetry.NewLogger(e.stderr, cfg.Log.Level)
	if err != nil {
		return usageError{err}
	}
	tuneGC(e.environ)
	a, err := app.New(ctx, cfg, log)
	if errors.Is(err, app.ErrLocked) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// loadServeConfig loads and validates the configuration, reporting every
// problem at once: values that do not parse, a missing default bundle and
// what Validate finds. --help prints the flags to stdout.
func loadServeConfig(e env, args []string) (config.Config, error) {
	cfg, err := config.LoadWithOutput(args, e.environ, e.stdout)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, err
	}
	if err != nil && !errors.As(err, new(*config.BadValues)) {
		return cfg, usagef("%w (see pdp serve --help)", err)
	}
	errs := []error{err, defaultBundle(&cfg), cfg.Validate(), checkDataDir(cfg.DataDir)}
	if errs[1] == nil {
		errs = append(errs, checkBundleSources(cfg.Bundle.Sources)) // serve_check.go
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// defaultBundle sets the bundle source to defaultBundlePath when none is
// given, and reports that path when it does not exist.
func defaultBundle(cfg *config.Config) error {
	if len(cfg.Bundle.Sources) > 0 {
		return nil
	}
	cfg.Bundle.Sources = []string{defaultBundlePath}
	if _, err := os.Stat(defaultBundlePath); err != nil {
		return fmt.Errorf("--bundle: none given, and the default %s was not found in the current directory (pass --bundle DIR|FILE|URL)", defaultBundlePath)
	}
	return nil
}

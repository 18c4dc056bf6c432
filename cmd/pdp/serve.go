package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/config"
	"github.com/pdp-project/pdp/internal/telemetry"
)

// defaultBundle is served when no --bundle is given (as from the repo root).
const defaultBundle = "bundles/example"

func runServe(ctx context.Context, e env, args []string) error {
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
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func loadServeConfig(e env, args []string) (config.Config, error) {
	cfg, err := config.LoadWithOutput(args, e.environ, e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, usageError{err}
	}
	if err != nil {
		return cfg, usageError{err}
	}
	if len(cfg.Bundle.Sources) == 0 {
		if _, err := os.Stat(defaultBundle); err == nil {
			cfg.Bundle.Sources = []string{defaultBundle}
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

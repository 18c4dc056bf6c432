package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func runVersion(_ context.Context, e env, args []string) error {
	if err := parseNoArgs(newFlagSet("version", e), args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pdp %s\n", version())
	return nil
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	opa := "unknown"
	for _, d := range info.Deps {
		if d.Path == "github.com/open-policy-agent/opa" {
			opa = d.Version
		}
	}
	return fmt.Sprintf("%s (%s, opa %s)", info.Main.Version, info.GoVersion, opa)
}

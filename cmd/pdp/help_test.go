package main

import (
	"strings"
	"testing"
)

// helpTargets are every command and subcommand: pdp NAME [SUB].
func helpTargets() [][]string {
	var out [][]string
	for _, c := range commands() {
		out = append(out, []string{c.name})
	}
	for name := range synopses {
		if group, sub, ok := strings.Cut(name, " "); ok {
			out = append(out, []string{group, sub})
		}
	}
	return out
}

// TestEveryHelpExitsZero: --help of every command and subcommand prints
// its usage to stdout and exits 0.
func TestEveryHelpExitsZero(t *testing.T) {
	for _, target := range helpTargets() {
		for _, help := range []string{"--help", "-h"} {
			args := append(append([]string{}, target...), help)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errOut := runWith("", nil, args...)
				if code != exitOK || errOut != "" {
					t.Errorf("exit %d, want 0; stderr:\n%s", code, errOut)
				}
				if !strings.HasPrefix(out, "Usage: pdp "+target[0]) {
					t.Errorf("stdout does not start with the usage:\n%s", out)
				}
			})
		}
	}
}

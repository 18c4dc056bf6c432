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

// placeholders are the words a flag's value may be shown as: each names a
// value (a file, a duration, a number), never a type of the flag package
// (string, float) or a word of the sentence (second, allow).
var placeholders = map[string]bool{
	"file": true, "path": true, "directory": true, "address": true, "URL": true, "source": true,
	"duration": true, "time": true, "N": true, "PCT": true, "factor": true, "id": true, "ids": true,
	"ID": true, "TYPE[:ID]": true, "name": true, "level": true, "mode": true, "algorithm": true,
	"revision": true, "format": true, "regex": true, "allow|deny": true, "iss": true, "aud": true,
	"NAME": true, "text": true, "reason": true, "size": true, "dialect": true, "FIELD=COLUMN": true,
}

// TestFlagPlaceholders: in the --help of every command, a flag's
// placeholder names the value it takes.
func TestFlagPlaceholders(t *testing.T) {
	for _, target := range helpTargets() {
		_, out, _ := runWith("", nil, append(append([]string{}, target...), "--help")...)
		for line := range strings.Lines(out) {
			flag, ok := strings.CutPrefix(line, "  --")
			if !ok {
				continue
			}
			name, arg, _ := strings.Cut(strings.TrimSpace(flag), " ")
			if arg != "" && !placeholders[arg] {
				t.Errorf("pdp %s --%s %s: placeholder %q does not name a value", strings.Join(target, " "), name, arg, arg)
			}
		}
	}
}

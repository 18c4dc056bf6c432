package main

import (
	"io"
	"slices"

	"github.com/pdp-project/pdp/internal/config"
)

// helpMarkdownFlag asks `pdp serve` for its flag reference as a markdown
// table (flag, PDP_* variable, YAML key, default, description) instead of
// serving. FLAGS.md beside this file is its committed output.
const helpMarkdownFlag = "--help-markdown"

// wantsHelpMarkdown reports whether the serve arguments ask for the
// markdown reference.
func wantsHelpMarkdown(args []string) bool {
	return slices.Contains(args, helpMarkdownFlag) || slices.Contains(args, helpMarkdownFlag[1:])
}

// writeHelpMarkdown prints the reference of every serve flag to w.
func writeHelpMarkdown(w io.Writer) error {
	return config.WriteReference(w)
}

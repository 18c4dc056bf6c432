package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pdp-project/pdp/internal/config"
)

// synopses are the usage lines of commands whose arguments are more than
// flags; the others read "pdp NAME [flags]".
var synopses = map[string]string{
	"check":          "pdp check [flags] < request.json",
	"test":           "pdp test [PATH...] [flags]",
	"eval":           "pdp eval --bundle PATH --input FILE [--explain]",
	"plan":           planUsage,
	"lint":           "pdp lint PATH... (policy directories or .rego files)",
	"fmt":            "pdp fmt [-w] PATH... (policy directories or .rego files)",
	"replay":         "pdp replay --bundle CANDIDATE [--addr ADDR | --audit-db PATH | --audit-url URL [--instance ID]] [filters] [flags]",
	"audit query":    "pdp audit query [--addr ADDR | --audit-db PATH | --audit-url URL [--instance ID]] [filters] [flags]",
	"audit show":     "pdp audit show [--addr ADDR | --audit-db PATH | --audit-url URL [--instance ID]] [flags] DECISION_ID",
	"audit verify":   "pdp audit verify [--addr ADDR | --audit-db PATH | --audit-url URL [--instance ID]] [flags]",
	"audit tail":     "pdp audit tail [--addr ADDR | --audit-db PATH | --audit-url URL [--instance ID]] [flags]",
	"bundle build":   "pdp bundle build DIR -o FILE [flags]",
	"bundle sign":    "pdp bundle sign FILE|DIR --signing-key PEM [-o FILE] [flags]",
	"bundle inspect": "pdp bundle inspect FILE [flags]",
	"dashboard":      "pdp dashboard > pdp-dashboard.json",
	"alerts":         "pdp alerts > pdp-alerts.yaml",
	"version":        "pdp version",
}

// newFlagSet returns the flag set of command name; its --help goes to
// stdout.
func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { printFlagUsage(e.stdout, fs) }
	return fs
}

// parseFlags parses args with fs (config.ParseFlags: every bad value
// reported, nothing printed). --help prints the usage and returns
// flag.ErrHelp (exit 0); other errors are usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := config.ParseFlags(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case errors.As(err, new(*config.BadValues)):
		return usageError{err}
	case err != nil:
		return usagef("%w (see pdp %s --help)", err, fs.Name())
	}
	return nil
}

// printFlagUsage writes the synopsis of fs and its flags, with two dashes.
func printFlagUsage(w io.Writer, fs *flag.FlagSet) {
	synopsis, ok := synopses[fs.Name()]
	if !ok {
		synopsis = "pdp " + fs.Name() + " [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
	}
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s\n    \t%s", strings.TrimSpace(f.Name+" "+arg), usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// dispatch runs the subcommand args[0] of group (pdp GROUP NAME ...), one of
// names, which are the keys of subs in the order to list them.
func dispatch(ctx context.Context, e env, group string, names []string, subs map[string]func(context.Context, env, []string) error, args []string) error {
	last := len(names) - 1
	want := strings.Join(names[:last], ", ") + " or " + names[last]
	switch {
	case len(args) == 0:
		return usagef("%s: want a subcommand: %s", group, want)
	case isHelp(args[0]):
		fmt.Fprintf(e.stdout, "Usage: pdp %s %s [flags]\n\npdp %s SUBCOMMAND --help lists its flags.\n", group, strings.Join(names, "|"), group)
		return flag.ErrHelp
	}
	run, ok := subs[args[0]]
	if !ok {
		return usagef("%s: unknown subcommand %q (want %s)", group, args[0], want)
	}
	return run(ctx, e, args[1:])
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

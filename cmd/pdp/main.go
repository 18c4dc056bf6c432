// Command pdp is the Policy Decision Point: the server and the tools of its
// operators, policy authors and auditors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake of the user (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// env is what a command gets from the process, so tests can run commands
// in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the PDP server", runServe},
		{"check", "send one CheckRequest (JSON on stdin) and print the response", runCheck},
		{"test", "run a policy set's Rego tests and decision cases", runTest},
		{"eval", "evaluate one CheckRequest (JSON file) against a bundle, offline", runEval},
		{"plan", "which resources of a type a subject may act on (JSON file), offline, as a condition or SQL", runPlan},
		{"lint", "check policies for errors and for grants that are too broad", runLint},
		{"fmt", "format Rego files as opa fmt does (-w rewrites them)", runFmt},
		{"replay", "re-evaluate recorded decisions under a candidate bundle", runReplay},
		{"bundle", "build, sign and inspect policy bundles (build|sign|inspect)", runBundle},
		{"audit", "query, show, verify and follow the audit trail (query|show|verify|tail)", runAudit},
		{"dashboard", "print the Grafana dashboard JSON (import it into Grafana)", runDashboard},
		{"alerts", "print the Prometheus alerting rules (YAML)", runAlerts},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{os.Stdin, os.Stdout, os.Stderr, os.Environ()}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e env, args []string) int {
	switch {
	case len(args) == 0:
		printUsage(e.stderr)
		return exitUsage
	case isHelp(args[0]) && len(args) > 1 && !isHelp(args[1]):
		return run(ctx, e, []string{args[1], "--help"}) // pdp help CMD
	case isHelp(args[0]):
		printUsage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e.stderr, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "pdp: unknown command %q\n", args[0])
	printUsage(e.stderr)
	return exitUsage
}

// exitCode reports err and returns the exit code: 0 also for --help, whose
// text is already printed.
func exitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "pdp: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: pdp <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\npdp <command> --help (or pdp help <command>) lists the flags of a command.")
}

package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// BadValues lists values that do not parse: flags, PDP_* variables and YAML
// fields. Load returns it together with the configuration built from
// everything else, so the caller can report Validate's problems as well.
type BadValues struct{ Errs []error }

func (b *BadValues) Error() string   { return errors.Join(b.Errs...).Error() }
func (b *BadValues) Unwrap() []error { return b.Errs }

// badValues returns errs as *BadValues, or nil when there are none.
func badValues(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return &BadValues{Errs: errs}
}

// ParseFlags parses args with fs, as fs.Parse does but printing nothing and
// with plainer errors: every bad value is reported, in the words of its
// flag (`--cache-ttl: "banana" is not a duration (e.g. 60s)`), as a
// *BadValues; other flag errors name the flag with two dashes. --help
// returns flag.ErrHelp for the caller to print the usage (fs.Usage is not
// called).
func ParseFlags(fs *flag.FlagSet, args []string) error {
	var bad []error
	fs.VisitAll(func(f *flag.Flag) { f.Value = &recorder{Value: f.Value, name: f.Name, bad: &bad} })
	defer fs.VisitAll(func(f *flag.Flag) { f.Value = f.Value.(*recorder).Value })
	fs.SetOutput(io.Discard)
	defer func(usage func()) { fs.Usage = usage }(fs.Usage)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err != nil:
		return errors.Join(append(bad, doubleDash(err))...)
	}
	return badValues(bad)
}

// recorder is a flag.Value that records a bad value instead of failing.
type recorder struct {
	flag.Value
	name string
	bad  *[]error
}

// Set records a value that does not parse.
func (r *recorder) Set(s string) error {
	if err := setOrKeep(r.Value, s); err != nil {
		*r.bad = append(*r.bad, badValue("--"+r.name, s, r.Value, err))
	}
	return nil
}

// setOrKeep sets v to s; when s does not parse, v keeps its value (the flag
// package's own values zero themselves on a failed Set).
func setOrKeep(v flag.Value, s string) error {
	old := v.String()
	err := v.Set(s)
	if err != nil {
		_ = v.Set(old)
	}
	return err
}

// IsBoolFlag keeps boolean flags usable without a value.
func (r *recorder) IsBoolFlag() bool {
	b, ok := r.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// badValue words a value s of v that did not parse, for name (a flag or an
// environment variable).
func badValue(name, s string, v flag.Value, err error) error {
	return fmt.Errorf("%s: %q %s", name, s, expected(v, err))
}

func expected(v flag.Value, err error) string {
	g, _ := v.(flag.Getter)
	if g == nil || err.Error() == "value out of range" {
		return "is invalid: " + err.Error()
	}
	switch g.Get().(type) {
	case time.Duration:
		return "is not a duration (e.g. 60s)"
	case bool:
		return "is not true or false"
	case int, int64, uint, uint64:
		return "is not a whole number"
	case float64:
		return "is not a number"
	}
	return "is invalid: " + err.Error()
}

// doubleDash writes the flag in the flag package's errors with two dashes.
func doubleDash(err error) error {
	msg := err.Error()
	for _, prefix := range []string{"flag provided but not defined: -", "flag needs an argument: -"} {
		if name, ok := strings.CutPrefix(msg, prefix); ok {
			return fmt.Errorf("%s-%s", prefix, name)
		}
	}
	return err
}

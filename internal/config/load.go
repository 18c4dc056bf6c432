package config

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load builds the configuration of `pdp serve` from args (the arguments after
// "serve"), environ (in os.Environ form) and the YAML file named by --config
// or PDP_CONFIG. Precedence: Default < file < PDP_* environment < flags.
// Derived values are filled in (see Complete); Validate is left to the caller.
//
// Every error is a usage error. Values that do not parse (of flags, PDP_*
// variables, YAML fields) and unknown YAML keys are all reported together as
// a *BadValues, with the configuration built from the rest. Other errors
// (unknown flag, unreadable or malformed config file, extra argument) return
// a zero Config. --help returns flag.ErrHelp as is. Nothing is printed; use
// LoadWithOutput to show the --help text.
func Load(args []string, environ []string) (Config, error) {
	return LoadWithOutput(args, environ, io.Discard)
}

// LoadWithOutput is Load that writes the --help text to out.
func LoadWithOutput(args []string, environ []string, out io.Writer) (Config, error) {
	// First pass: check the flags and find --config.
	probe := Default()
	var bad []error
	if err := parseArgs(newFlagSet(&probe), args, &bad); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(out)
		}
		return Config{}, err
	}
	env := envMap(environ)
	path := cmp.Or(probe.ConfigFile, env[envName("config")])
	cfg := Default()
	if err := loadFile(&cfg, path, &bad); err != nil {
		return Config{}, err
	}
	bad = append(bad, applyEnv(newFlagSet(&cfg), env)...)
	// Second pass: the flags given win over everything else. Their bad
	// values were collected by the first.
	_ = ParseFlags(newFlagSet(&cfg), args)
	cfg.ConfigFile = path
	return cfg.Complete(), badValues(bad)
}

// parseArgs parses args into fs, appending bad values to bad; it returns
// the other errors, a positional argument among them.
func parseArgs(fs *flag.FlagSet, args []string, bad *[]error) error {
	err := ParseFlags(fs, args)
	if bv := (*BadValues)(nil); errors.As(err, &bv) {
		*bad, err = append(*bad, bv.Errs...), nil
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return err
}

// Usage writes the --help text of `pdp serve` to out.
func Usage(out io.Writer) {
	c := Default()
	printUsage(newFlagSet(&c), out)
	fmt.Fprintln(out, "\n--help-markdown prints these flags as a markdown table with their YAML keys.")
}

// loadFile overlays the YAML file at path, if any, onto c. Unknown keys and
// fields of the wrong type are appended to bad.
func loadFile(c *Config, path string, bad *[]error) error {
	if path == "" {
		return nil
	}
	err := decodeFile(c, path)
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
		for _, msg := range te.Errors {
			*bad = append(*bad, fmt.Errorf("--config %s: %s", path, msg))
		}
	} else if err != nil {
		return err
	}
	// An empty YAML list ("[]", as printed for no items) means none: nil.
	for _, list := range []*[]string{&c.Bundle.Sources, &c.Authz.Auditors, &c.Authz.PolicyAuthors} {
		if len(*list) == 0 {
			*list = nil
		}
	}
	return nil
}

func decodeFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	return nil
}

// applyEnv sets every flag whose PDP_* variable is set and not empty; it
// returns the values that do not parse.
func applyEnv(fs *flag.FlagSet, env map[string]string) []error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v := env[name]
		if v == "" {
			return
		}
		if l, ok := f.Value.(*listValue); ok {
			l.setList(splitList(v))
			return
		}
		if err := setOrKeep(f.Value, v); err != nil {
			errs = append(errs, badValue(name, v, f.Value, err))
		}
	})
	return errs
}

// envMap indexes the PDP_* entries of environ; the first of duplicates wins,
// as with os.Getenv.
func envMap(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "PDP_") {
			continue
		}
		if _, dup := m[k]; !dup {
			m[k] = v
		}
	}
	return m
}

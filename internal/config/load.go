package config

import (
	"bytes"
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
// Every error is a usage error (unknown flag, bad value, unreadable or
// malformed config file). --help returns flag.ErrHelp as is. Flag errors and
// help text are discarded; use LoadWithOutput to show them.
func Load(args []string, environ []string) (Config, error) {
	return LoadWithOutput(args, environ, io.Discard)
}

// LoadWithOutput is Load that writes flag errors and the --help text to out.
func LoadWithOutput(args []string, environ []string, out io.Writer) (Config, error) {
	// First pass: validate the flags and find --config.
	probe := Default()
	fs := newFlagSet(&probe, out)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	env := envMap(environ)
	path := probe.ConfigFile
	if path == "" {
		path = env[envName("config")]
	}

	cfg := Default()
	if path != "" {
		if err := loadFile(&cfg, path); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(newFlagSet(&cfg, io.Discard), env); err != nil {
		return Config{}, err
	}
	// Second pass: the flags given win over everything else.
	if err := newFlagSet(&cfg, io.Discard).Parse(args); err != nil {
		return Config{}, err
	}
	cfg.ConfigFile = path
	return cfg.Complete(), nil
}

// Usage writes the --help text of `pdp serve` to out.
func Usage(out io.Writer) {
	c := Default()
	printUsage(newFlagSet(&c, out), out)
}

// loadFile overlays the YAML file at path onto c. Unknown keys are errors.
func loadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	// An empty YAML list ("[]", as printed for no items) means none: nil.
	for _, list := range []*[]string{&c.Bundle.Sources, &c.Authz.Auditors, &c.Authz.PolicyAuthors} {
		if len(*list) == 0 {
			*list = nil
		}
	}
	return nil
}

// applyEnv sets every flag whose PDP_* variable is set and not empty.
func applyEnv(fs *flag.FlagSet, env map[string]string) error {
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
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: invalid value %q for --%s: %w", name, v, f.Name, err))
		}
	})
	return errors.Join(errs...)
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

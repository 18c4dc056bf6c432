package config

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsWording(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"duration", []string{"--ttl", "banana"}, `--ttl: "banana" is not a duration (e.g. 60s)`},
		{"int", []string{"--size=many"}, `--size: "many" is not a whole number`},
		{"int out of range", []string{"--size", "99999999999999999999"}, `--size: "99999999999999999999" is invalid: value out of range`},
		{"float", []string{"--ratio", "x"}, `--ratio: "x" is not a number`},
		{"bool", []string{"--on=maybe"}, `--on: "maybe" is not true or false`},
		{"every bad value", []string{"--ttl", "a", "--size", "b"}, "--ttl: \"a\" is not a duration (e.g. 60s)\n--size: \"b\" is not a whole number"},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined: --nope"},
		{"bad value before an unknown flag", []string{"--ttl", "a", "-nope"}, "--ttl: \"a\" is not a duration (e.g. 60s)\nflag provided but not defined: --nope"},
		{"missing value", []string{"--size"}, "flag needs an argument: --size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := testFlags()
			err := ParseFlags(fs, tt.args)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ParseFlags error =\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestParseFlagsKeepsGoodValues(t *testing.T) {
	fs, v := testFlags()
	err := ParseFlags(fs, []string{"--on", "--ttl", "bad", "--size", "3", "rest"})
	if bv := (*BadValues)(nil); !errors.As(err, &bv) || len(bv.Errs) != 1 {
		t.Fatalf("err = %v, want one bad value", err)
	}
	if !v.on || v.size != 3 || v.ttl != time.Second || fs.Arg(0) != "rest" {
		t.Errorf("values = %+v, args %v", *v, fs.Args())
	}
	if _, wrapped := fs.Lookup("ttl").Value.(*recorder); wrapped {
		t.Error("the flag values stay wrapped after ParseFlags")
	}
	// A second parse of the same set records afresh.
	if err := ParseFlags(fs, []string{"--ttl", "2s"}); err != nil || v.ttl != 2*time.Second {
		t.Errorf("second parse: %v, ttl %v", err, v.ttl)
	}
	if err := ParseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

type testValues struct {
	ttl   time.Duration
	size  int
	ratio float64
	on    bool
}

func testFlags() (*flag.FlagSet, *testValues) {
	v := &testValues{ttl: time.Second}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.DurationVar(&v.ttl, "ttl", v.ttl, "")
	fs.IntVar(&v.size, "size", 0, "")
	fs.Float64Var(&v.ratio, "ratio", 0, "")
	fs.BoolVar(&v.on, "on", false, "")
	return fs, v
}

func TestLoadReportsEveryBadValue(t *testing.T) {
	args := []string{"--config", "testdata/bad-values.yaml", "--cache-ttl", "banana", "--insecure", "--grpc-addr", "127.0.0.1:1"}
	env := []string{"PDP_DENY_SPIKE_RATIO=high", "PDP_MAX_BATCH=lots"}
	c, err := Load(args, env)
	if bv := (*BadValues)(nil); !errors.As(err, &bv) {
		t.Fatalf("err = %v, want *BadValues", err)
	}
	want := []string{
		`--cache-ttl: "banana" is not a duration (e.g. 60s)`,
		"--config testdata/bad-values.yaml: line 3: cannot unmarshal !!str `lots` into int",
		"--config testdata/bad-values.yaml: line 6: cannot unmarshal !!str `soon` into time.Duration",
		"--config testdata/bad-values.yaml: line 8: field lefel not found in type config.LogConfig",
		`PDP_DENY_SPIKE_RATIO: "high" is not a number`,
		`PDP_MAX_BATCH: "lots" is not a whole number`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	eq(t, "grpc addr from a flag", c.Server.GRPCAddr, "127.0.0.1:1")
	eq(t, "insecure without a value", c.Server.Insecure, true)
	eq(t, "max batch keeps the file's value", c.Server.MaxBatch, 7)
	eq(t, "ratio keeps its default", c.Alarm.Ratio, 3.0)
	eq(t, "ttl keeps its default", c.Cache.TTL, time.Minute)
	eq(t, "derived values are filled", c.Server.PublicURL, "http://127.0.0.1:7071")
}

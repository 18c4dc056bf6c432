package config

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const exampleFile = "testdata/pdp.yaml"

func TestLoadDefaults(t *testing.T) {
	got, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Audit.DB = filepath.Join("pdp-data", "audit.db")
	want.Server.PublicURL = "http://127.0.0.1:7071"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(t *testing.T, c Config)
	}{
		{
			name: "file values",
			args: []string{"--config", exampleFile},
			check: func(t *testing.T, c Config) {
				eq(t, "grpc addr", c.Server.GRPCAddr, "127.0.0.1:9090")
				eq(t, "max batch", c.Server.MaxBatch, 50)
				eq(t, "grace", c.Server.ShutdownGrace, 5*time.Second)
				eq(t, "sources", c.Bundle.Sources, []string{"bundles/from-file"})
				eq(t, "poll", c.Bundle.Poll, time.Minute)
				eq(t, "retention", c.Audit.Retention, 720*time.Hour)
				eq(t, "auditors", c.Authz.Auditors, []string{"alice", "local"})
				eq(t, "audit db derived from file data_dir", c.Audit.DB, filepath.Join("/var/lib/pdp", "audit.db"))
				eq(t, "public url derived from file http addr", c.Server.PublicURL, "http://127.0.0.1:9091")
				eq(t, "key id keeps default", c.Bundle.VerificationKeyID, "default")
				eq(t, "config file", c.ConfigFile, exampleFile)
			},
		},
		{
			name: "config file from PDP_CONFIG",
			env:  []string{"PDP_CONFIG=" + exampleFile},
			check: func(t *testing.T, c Config) {
				eq(t, "grpc addr", c.Server.GRPCAddr, "127.0.0.1:9090")
				eq(t, "config file", c.ConfigFile, exampleFile)
			},
		},
		{
			name: "empty config file keeps defaults",
			args: []string{"--config", "testdata/empty.yaml"},
			check: func(t *testing.T, c Config) {
				eq(t, "grpc addr", c.Server.GRPCAddr, "127.0.0.1:7070")
			},
		},
		{
			name: "repeated --bundle",
			args: []string{"--bundle", "a", "--bundle=b.tar.gz", "-bundle", "https://x/c"},
			check: func(t *testing.T, c Config) {
				eq(t, "sources", c.Bundle.Sources, []string{"a", "b.tar.gz", "https://x/c"})
			},
		},
		{
			name: "PDP_BUNDLE comma list",
			env:  []string{"PDP_BUNDLE=one, two,,three"},
			check: func(t *testing.T, c Config) {
				eq(t, "sources", c.Bundle.Sources, []string{"one", "two", "three"})
			},
		},
		{
			name: "--bundle replaces PDP_BUNDLE and the file",
			args: []string{"--config", exampleFile, "--bundle", "flag"},
			env:  []string{"PDP_BUNDLE=env1,env2"},
			check: func(t *testing.T, c Config) {
				eq(t, "sources", c.Bundle.Sources, []string{"flag"})
			},
		},
		{
			name: "comma lists from flags",
			args: []string{"--auditors", "alice,bob", "--policy-authors", "carol", "--policy-authors", "dave"},
			check: func(t *testing.T, c Config) {
				eq(t, "auditors", c.Authz.Auditors, []string{"alice", "bob"})
				eq(t, "authors", c.Authz.PolicyAuthors, []string{"carol", "dave"})
			},
		},
		{
			name: "env names derive from flag names",
			env: []string{
				"PDP_GRPC_ADDR=0.0.0.0:1", "PDP_CACHE_TTL=0s", "PDP_INSECURE=true",
				"PDP_BUNDLE_VERIFICATION_KEY_ID=k1", "PDP_JWT_HMAC_SECRET_FILE=/s",
				"PDP_MAX_BATCH=7", "PDP_AUDITORS=x,y", "PDP_PRINT_CONFIG=1", "PDP_LOG_LEVEL=",
			},
			check: func(t *testing.T, c Config) {
				eq(t, "grpc addr", c.Server.GRPCAddr, "0.0.0.0:1")
				eq(t, "ttl", c.Cache.TTL, time.Duration(0))
				eq(t, "insecure", c.Server.Insecure, true)
				eq(t, "key id", c.Bundle.VerificationKeyID, "k1")
				eq(t, "hmac", c.JWT.HMACSecretFile, "/s")
				eq(t, "max batch", c.Server.MaxBatch, 7)
				eq(t, "auditors", c.Authz.Auditors, []string{"x", "y"})
				eq(t, "print config", c.PrintConfig, true)
				eq(t, "empty env is ignored", c.Log.Level, "info")
			},
		},
		{
			name: "explicit derived values are kept",
			args: []string{"--public-url", "https://pdp.example", "--audit-db", "/tmp/a.db", "--data-dir", "/d"},
			check: func(t *testing.T, c Config) {
				eq(t, "public url", c.Server.PublicURL, "https://pdp.example")
				eq(t, "audit db", c.Audit.DB, "/tmp/a.db")
			},
		},
		{
			name: "public url uses https with TLS and localhost for an empty host",
			args: []string{"--http-addr", ":8443", "--tls-cert", "c", "--tls-key", "k"},
			check: func(t *testing.T, c Config) {
				eq(t, "public url", c.Server.PublicURL, "https://localhost:8443")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	file := []string{"--config", exampleFile}
	env := []string{"PDP_GRPC_ADDR=127.0.0.1:8000", "PDP_CACHE_TTL=45s", "PDP_LOG_LEVEL=warn"}
	flags := []string{"--grpc-addr", "127.0.0.1:9999", "--cache-size", "7"}

	c, err := Load(append(file, flags...), env)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "flag beats env and file", c.Server.GRPCAddr, "127.0.0.1:9999")
	eq(t, "flag beats file", c.Cache.Size, 7)
	eq(t, "env beats file", c.Cache.TTL, 45*time.Second)
	eq(t, "env beats file", c.Log.Level, "warn")
	eq(t, "file beats default", c.Audit.Sync, "full")
	eq(t, "default when nothing set", c.Bundle.VerificationAlg, "RS256")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
		{"bad duration", []string{"--cache-ttl", "soon"}, nil, "cache-ttl"},
		{"bad int", []string{"--cache-size", "many"}, nil, "cache-size"},
		{"missing config file", []string{"--config", "testdata/missing.yaml"}, nil, "--config"},
		{"missing config file from env", nil, []string{"PDP_CONFIG=testdata/missing.yaml"}, "missing.yaml"},
		{"unknown yaml key", []string{"--config", "testdata/unknown-key.yaml"}, nil, "grpc_adr"},
		{"bad env value", nil, []string{"PDP_CACHE_SIZE=lots"}, "PDP_CACHE_SIZE"},
		{"positional argument", []string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := LoadWithOutput([]string{"--help"}, nil, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"--grpc-addr address", "(default 127.0.0.1:7070)", "[$PDP_GRPC_ADDR]",
		"--cache-ttl duration", "(default 1m0s)", "--bundle source", "[$PDP_BUNDLE]",
		"--max-batch N", "(default 100)", "--insecure", "--print-config",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
	var usage bytes.Buffer
	Usage(&usage)
	if usage.String() != out.String() {
		t.Errorf("Usage differs from --help output")
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

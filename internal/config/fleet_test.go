package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr bool
	}{
		{"1GiB", 1 << 30, false},
		{"512MiB", 512 << 20, false},
		{"64KiB", 64 << 10, false},
		{"2TiB", 2 << 40, false},
		{"1048576", 1 << 20, false},
		{"10MB", 10e6, false},
		{" 3 GiB ", 3 << 30, false},
		{"1.5GiB", 0, true},
		{"-1GiB", 0, true},
		{"lots", 0, true},
		{"", 0, true},
		{"99999999999TiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseByteSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				back, err := ParseByteSize(got.String())
				if err != nil || back != got {
					t.Fatalf("%s does not read back: %d, %v", got, back, err)
				}
			}
		})
	}
}

func TestLoadFleet(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pdp.yaml")
	yaml := "audit:\n  url: postgres://pdp@db.example:5432/audit?sslmode=require\n  backlog_max: 512MiB\n  ship: sync\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     []string
		want    FleetConfig
		wantErr string
	}{
		{"defaults", nil, nil, FleetConfig{BacklogMax: 1 << 30, Ship: "async"}, ""},
		{"flags", []string{"--audit-url", "postgres://u@h:5432/d", "--instance-id", "r1", "--audit-backlog-max", "2GiB", "--audit-ship", "sync"}, nil,
			FleetConfig{URL: "postgres://u@h:5432/d", InstanceID: "r1", BacklogMax: 2 << 30, Ship: "sync"}, ""},
		{"env", nil, []string{"PDP_AUDIT_URL=postgres://u@h/d", "PDP_INSTANCE_ID=r2", "PDP_AUDIT_BACKLOG_MAX=64MiB", "PDP_AUDIT_PASSWORD_FILE=/pw"},
			FleetConfig{URL: "postgres://u@h/d", InstanceID: "r2", BacklogMax: 64 << 20, Ship: "async", PasswordFile: "/pw"}, ""},
		{"yaml", []string{"--config", file, "--instance-id", "r3"}, nil,
			FleetConfig{URL: "postgres://pdp@db.example:5432/audit?sslmode=require", InstanceID: "r3", BacklogMax: 512 << 20, Ship: "sync"}, ""},
		{"bad size flag", []string{"--audit-backlog-max", "huge"}, nil, FleetConfig{BacklogMax: 1 << 30, Ship: "async"}, `--audit-backlog-max: "huge" is invalid`},
		{"bad size env", nil, []string{"PDP_AUDIT_BACKLOG_MAX=1.5GiB"}, FleetConfig{BacklogMax: 1 << 30, Ship: "async"}, `PDP_AUDIT_BACKLOG_MAX: "1.5GiB" is invalid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, tt.env)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Load: %v, want error %q", err, tt.wantErr)
			}
			eq(t, "fleet", c.Audit.Fleet, tt.want)
		})
	}
}

func TestLoadFleetInstanceDefaultsToHostName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		t.Skip("no host name")
	}
	c, err := Load([]string{"--audit-url", "postgres://u@h/d"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "instance", c.Audit.Fleet.InstanceID, host)
}

func TestValidateFleet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *FleetConfig)
		want   string
	}{
		{"scheme", func(f *FleetConfig) { f.URL = "mysql://u@h/d" }, "--audit-url: scheme"},
		{"no database", func(f *FleetConfig) { f.URL = "postgres://u@h:5432" }, "--audit-url: names no database"},
		{"no host", func(f *FleetConfig) { f.URL = "postgres:///d" }, "--audit-url: URL has no host"},
		{"password file missing", func(f *FleetConfig) { f.PasswordFile = "/nonexistent/pw" }, `--audit-password-file: file "/nonexistent/pw" does not exist`},
		{"password file without url", func(f *FleetConfig) { f.URL, f.PasswordFile = "", "testdata/token" }, "--audit-password-file: requires --audit-url"},
		{"ship", func(f *FleetConfig) { f.Ship = "eventually" }, "--audit-ship:"},
		{"backlog zero", func(f *FleetConfig) { f.BacklogMax = 0 }, "--audit-backlog-max: must be more than 0"},
		{"instance empty", func(f *FleetConfig) { f.InstanceID = " " }, "--instance-id: must not be empty"},
		{"instance space", func(f *FleetConfig) { f.InstanceID = "a b" }, "--instance-id:"},
		{"instance long", func(f *FleetConfig) { f.InstanceID = strings.Repeat("x", 129) }, "--instance-id: must be at most 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			c.Audit.Fleet = FleetConfig{URL: "postgres://pdp@db:5432/audit", InstanceID: "r1", BacklogMax: 1 << 30, Ship: "async"}
			if err := c.Validate(); err != nil {
				t.Fatalf("valid fleet config: %v", err)
			}
			tt.mutate(&c.Audit.Fleet)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("message holds a password: %v", err)
			}
		})
	}
}

func TestRedactedAuditURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://pdp:hunter2@db:5432/audit?sslmode=require", "postgres://pdp:REDACTED@db:5432/audit?sslmode=require"},
		{"postgres://pdp@db:5432/audit", "postgres://pdp@db:5432/audit"},
		{"postgres://pdp@db/audit?password=hunter2&sslmode=disable", "postgres://pdp@db/audit?password=REDACTED&sslmode=disable"},
		{"", ""},
	}
	for _, tt := range tests {
		c := Default()
		c.Audit.Fleet.URL = tt.in
		eq(t, "redacted", c.Redacted().Audit.Fleet.URL, tt.want)
		out, err := c.YAML()
		if err != nil || strings.Contains(string(out), "hunter2") {
			t.Errorf("YAML of %q: %v\n%s", tt.in, err, out)
		}
	}
}

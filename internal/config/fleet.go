package config

import (
	"net/url"
	"os"
	"strings"
)

// AuditShipModes returns the allowed values of --audit-ship.
func AuditShipModes() []string { return []string{"async", "sync"} }

// FleetConfig covers shipping the audit trail to the fleet's PostgreSQL.
// It is inlined in the audit section of the YAML file.
type FleetConfig struct {
	// URL is postgres://USER@HOST:PORT/DB?sslmode=... (--audit-url); empty:
	// the trail stays local.
	URL string `yaml:"url"`
	// PasswordFile holds the database password (--audit-password-file); it
	// replaces any password in URL.
	PasswordFile string `yaml:"password_file"`
	// InstanceID names this replica and its hash chain in the fleet's trail
	// (--instance-id); Complete sets the host name when empty.
	InstanceID string `yaml:"instance_id"`
	// BacklogMax bounds the records not yet shipped; past it Check is
	// Unavailable (--audit-backlog-max).
	BacklogMax ByteSize `yaml:"backlog_max"`
	// Ship is async (answer once durable locally) or sync (answer once
	// PostgreSQL committed) (--audit-ship).
	Ship string `yaml:"ship"`
}

func defaultFleet() FleetConfig { return FleetConfig{BacklogMax: 1 << 30, Ship: "async"} }

// completeInstanceID sets the instance id to the host name when shipping
// and none was given.
func (f FleetConfig) completeInstanceID() FleetConfig {
	if f.URL != "" && f.InstanceID == "" {
		f.InstanceID, _ = os.Hostname()
	}
	return f
}

func (c Config) validateFleet(p *problems) {
	f := c.Audit.Fleet
	checkOneOf(p, "audit-ship", f.Ship, AuditShipModes())
	if f.BacklogMax <= 0 {
		p.add("audit-backlog-max", "must be more than 0 (e.g. 1GiB)")
	}
	if f.URL == "" {
		if f.PasswordFile != "" {
			p.add("audit-password-file", "requires --audit-url")
		}
		return
	}
	if u := checkURL(p, "audit-url", f.URL, "postgres", "postgresql"); u != nil && strings.Trim(u.Path, "/") == "" {
		p.add("audit-url", "names no database (postgres://USER@HOST:PORT/DB)")
	}
	checkFile(p, "audit-password-file", f.PasswordFile)
	checkInstanceID(p, f.InstanceID)
}

// checkInstanceID wants a printable name of at most 128 bytes.
func checkInstanceID(p *problems, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		p.add("instance-id", "must not be empty (the host name is unknown)")
	case len(id) > 128:
		p.add("instance-id", "must be at most 128 bytes, got %d", len(id))
	case strings.IndexFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0:
		p.add("instance-id", "%q holds spaces or control characters", id)
	}
}

// redactPostgresURL hides a password in a postgres:// URL (user info or a
// password= parameter) and keeps the user name, which is not a secret.
func redactPostgresURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return redactURL(raw)
	}
	user := u.User
	u.User = nil
	out, err := url.Parse(redactURL(u.String()))
	if err != nil {
		return redactedText
	}
	if _, ok := user.Password(); ok {
		out.User = url.UserPassword(user.Username(), redactedText)
	} else {
		out.User = url.User(user.Username())
	}
	return out.String()
}

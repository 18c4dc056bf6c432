// Package config holds the one typed configuration of `pdp serve`.
//
// Values are layered: Default, then the YAML file named by --config (or
// PDP_CONFIG), then PDP_* environment variables, then command-line flags.
// Every flag --some-name reads the environment variable PDP_SOME_NAME; list
// flags (--bundle, --auditors, --policy-authors) read a comma-separated list.
package config

import (
	"net"
	"path/filepath"
	"time"
)

// Config is the complete configuration of `pdp serve`. Its YAML form is the
// schema of the --config file.
type Config struct {
	// ConfigFile is the YAML file the configuration was read from (--config).
	ConfigFile string `yaml:"-"`
	// PrintConfig asks serve to print the redacted configuration and exit.
	PrintConfig bool `yaml:"-"`

	// DataDir is the directory for local state (--data-dir).
	DataDir string `yaml:"data_dir"`

	Server ServerConfig `yaml:"server"`
	TLS    TLSConfig    `yaml:"tls"`
	Bundle BundleConfig `yaml:"bundle"`
	Audit  AuditConfig  `yaml:"audit"`
	Cache  CacheConfig  `yaml:"cache"`
	Authz  AuthzConfig  `yaml:"authz"`
	JWT    JWTConfig    `yaml:"jwt"`
	Log    LogConfig    `yaml:"log"`
	Alarm  AlarmConfig  `yaml:"deny_spike"` // alarm.go
	Search SearchConfig `yaml:"search"`     // search.go
}

// ServerConfig covers the listeners.
type ServerConfig struct {
	GRPCAddr  string `yaml:"grpc_addr"`  // --grpc-addr
	HTTPAddr  string `yaml:"http_addr"`  // --http-addr
	PublicURL string `yaml:"public_url"` // --public-url; derived by Complete when empty
	// Insecure allows plaintext listeners on non-loopback addresses (--insecure).
	Insecure      bool          `yaml:"insecure"`
	MaxBatch      int           `yaml:"max_batch"`      // --max-batch: items per CheckBatch / AuthZEN batch
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // --shutdown-grace
	// RateLimit is the per-caller token bucket: requests a second (--rate-limit,
	// 0 = off) and burst size (--rate-burst, 0 = max(1, rate)).
	RateLimit float64 `yaml:"rate_limit"`
	RateBurst int     `yaml:"rate_burst"`
}

// TLSConfig names the PEM files of both listeners.
type TLSConfig struct {
	CertFile     string `yaml:"cert"`      // --tls-cert
	KeyFile      string `yaml:"key"`       // --tls-key
	ClientCAFile string `yaml:"client_ca"` // --tls-client-ca; optional
}

// BundleConfig covers policy bundle sources and their verification.
type BundleConfig struct {
	Sources    []string      `yaml:"sources"`    // --bundle, repeatable: directory, .tar.gz or URL
	Entrypoint string        `yaml:"entrypoint"` // --entrypoint; empty: manifest or authz/decision
	Poll       time.Duration `yaml:"poll"`       // --bundle-poll; 0: no polling
	// VerificationKey is the path of a PEM public key, or of a file holding the
	// HMAC secret for HS* algorithms (--bundle-verification-key).
	VerificationKey   string `yaml:"verification_key"`
	VerificationKeyID string `yaml:"verification_key_id"` // --bundle-verification-key-id
	VerificationAlg   string `yaml:"verification_alg"`    // --bundle-verification-alg
	TokenFile         string `yaml:"token_file"`          // --bundle-token-file: bearer token for HTTP sources
}

// AuditConfig covers the audit trail.
type AuditConfig struct {
	DB        string        `yaml:"db"`        // --audit-db; derived from DataDir by Complete when empty
	Sync      string        `yaml:"sync"`      // --audit-sync: normal or full
	Retention time.Duration `yaml:"retention"` // --audit-retention; 0: keep forever
	// SigningKey is the Ed25519 private key (PKCS #8 PEM) that signs
	// checkpoints (--audit-signing-key); empty: <data-dir>/audit-signing-key.pem,
	// generated at first start.
	SigningKey         string        `yaml:"signing_key"`
	CheckpointEvery    int           `yaml:"checkpoint_every"`    // --audit-checkpoint-every N records; 0: only by time
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"` // --audit-checkpoint-interval; 0: only by count
	// Fleet ships the trail to the fleet's PostgreSQL (fleet.go).
	Fleet FleetConfig `yaml:",inline"`
}

// CacheConfig covers the decision cache.
type CacheConfig struct {
	RedisURL string        `yaml:"redis_url"` // --redis-url; empty: in-process tier only
	TTL      time.Duration `yaml:"ttl"`       // --cache-ttl; 0: cache off
	Size     int           `yaml:"size"`      // --cache-size: in-process entries
	// RedisCluster: the host of RedisURL and its addr= parameters seed a
	// Redis Cluster (--redis-cluster).
	RedisCluster bool `yaml:"redis_cluster"`
	// RedisSentinelMaster: the host of RedisURL and its addr= parameters are
	// sentinels watching this master (--redis-sentinel-master).
	RedisSentinelMaster string `yaml:"redis_sentinel_master"`
}

// AuthzConfig lists the callers with extra rights; it becomes
// data.system.config.{auditors, policy_authors}.
type AuthzConfig struct {
	Auditors      []string `yaml:"auditors"`       // --auditors
	PolicyAuthors []string `yaml:"policy_authors"` // --policy-authors
}

// JWTConfig covers verification of subject tokens.
type JWTConfig struct {
	JWKSFile       string `yaml:"jwks_file"`        // --jwks-file
	JWKSURL        string `yaml:"jwks_url"`         // --jwks-url
	Issuer         string `yaml:"issuer"`           // --jwt-issuer
	Audience       string `yaml:"audience"`         // --jwt-audience
	HMACSecretFile string `yaml:"hmac_secret_file"` // --jwt-hmac-secret-file
}

// LogConfig covers logging.
type LogConfig struct {
	Level string `yaml:"level"` // --log-level: debug, info, warn or error
}

// Default returns the built-in defaults. It names no bundle: the caller
// supplies its own default source. PublicURL and Audit.DB stay empty; see
// Complete.
func Default() Config {
	return Config{
		DataDir: "./pdp-data",
		Server: ServerConfig{
			GRPCAddr:      "127.0.0.1:7070",
			HTTPAddr:      "127.0.0.1:7071",
			MaxBatch:      100,
			ShutdownGrace: 10 * time.Second,
		},
		Bundle: BundleConfig{
			Poll:              30 * time.Second,
			VerificationKeyID: "default",
			VerificationAlg:   "RS256",
		},
		Audit: AuditConfig{Sync: "normal", CheckpointEvery: 1000, CheckpointInterval: time.Minute, Fleet: defaultFleet()},
		Cache: CacheConfig{TTL: 60 * time.Second, Size: 10000},
		Log:   LogConfig{Level: "info"},
		Alarm: defaultAlarm(),
	}
}

// TLSEnabled reports whether both listeners serve TLS.
func (c Config) TLSEnabled() bool {
	return c.TLS.CertFile != "" && c.TLS.KeyFile != ""
}

// Complete fills the values derived from others when they are empty:
// Audit.DB becomes DataDir/audit.db and Server.PublicURL becomes
// http://HTTPAddr (https:// when TLS is on; "localhost" for an empty host);
// with --audit-url, an empty instance id becomes the host name.
// Load calls it; call it yourself on a Config built by hand.
func (c Config) Complete() Config {
	if c.Audit.DB == "" && c.DataDir != "" {
		c.Audit.DB = filepath.Join(c.DataDir, "audit.db")
	}
	if c.Server.PublicURL == "" && c.Server.HTTPAddr != "" {
		c.Server.PublicURL = c.defaultPublicURL()
	}
	c.Audit.Fleet = c.Audit.Fleet.completeInstanceID()
	return c
}

func (c Config) defaultPublicURL() string {
	scheme := "http://"
	if c.TLSEnabled() {
		scheme = "https://"
	}
	addr := c.Server.HTTPAddr
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		addr = net.JoinHostPort("localhost", port)
	}
	return scheme + addr
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/bundle"
)

// LogLevels returns the allowed values of --log-level.
func LogLevels() []string { return []string{"debug", "info", "warn", "error"} }

// AuditSyncModes returns the allowed values of --audit-sync.
func AuditSyncModes() []string { return []string{"normal", "full"} }

// BundleSigningAlgs returns the allowed values of --bundle-verification-alg.
func BundleSigningAlgs() []string {
	return []string{
		"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "HS256", "HS384", "HS512",
	}
}

// problems collects validation errors, each prefixed with its flag.
type problems []error

func (p *problems) add(flagName, format string, args ...any) {
	*p = append(*p, fmt.Errorf("--"+flagName+": "+format, args...))
}

// Validate reports every problem of c at once (errors.Join), each message
// starting with the flag it concerns, e.g. "--cache-ttl: must not be negative".
// It also checks that the files named by flags exist and hold what they
// should (files.go), and that no two bundle sources share a name.
func (c Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.validateTLS(&p)
	c.validateBundle(&p)
	c.validateAudit(&p)
	c.validateCache(&p)
	c.validateJWT(&p)
	c.validateFetches(&p) // plainfetch.go
	c.validateAlarm(&p)
	c.validateSearch(&p) // search.go
	c.validateContents(&p)
	checkOneOf(&p, "log-level", c.Log.Level, LogLevels())
	if strings.TrimSpace(c.DataDir) == "" {
		p.add("data-dir", "must not be empty")
	}
	return errors.Join(p...)
}

func (c Config) validateServer(p *problems) {
	s := c.Server
	checkListen(p, "grpc-addr", s.GRPCAddr, c.TLSEnabled() || s.Insecure)
	checkListen(p, "http-addr", s.HTTPAddr, c.TLSEnabled() || s.Insecure)
	if s.GRPCAddr == s.HTTPAddr && s.GRPCAddr != "" && !strings.HasSuffix(s.GRPCAddr, ":0") {
		p.add("http-addr", "must differ from --grpc-addr (%s)", s.GRPCAddr)
	}
	if s.PublicURL != "" {
		checkURL(p, "public-url", s.PublicURL, "http", "https")
	}
	if s.MaxBatch < 1 || s.MaxBatch > 1000 {
		p.add("max-batch", "must be between 1 and 1000, got %d", s.MaxBatch)
	}
	checkDuration(p, "shutdown-grace", s.ShutdownGrace)
	if s.RateLimit < 0 || s.RateBurst < 0 {
		p.add("rate-limit", "--rate-limit and --rate-burst must not be negative")
	}
}

// checkListen checks a host:port listen address; plaintext (secure false) is
// allowed on loopback addresses only.
func checkListen(p *problems, flagName, addr string, secure bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(flagName, "%q is not host:port: %v", addr, err)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(flagName, "%q has an invalid port %q", addr, port)
		return
	}
	if !secure && !isLoopback(host) {
		p.add(flagName, "%q is not a loopback address: serving plaintext there needs "+
			"--tls-cert and --tls-key, or an explicit --insecure", addr)
	}
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
// An empty host (all interfaces) is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Config) validateTLS(p *problems) {
	t := c.TLS
	if t.CertFile != "" && t.KeyFile == "" {
		p.add("tls-key", "required with --tls-cert")
	}
	if t.KeyFile != "" && t.CertFile == "" {
		p.add("tls-cert", "required with --tls-key")
	}
	if t.ClientCAFile != "" && !c.TLSEnabled() {
		p.add("tls-client-ca", "requires --tls-cert and --tls-key")
	}
	checkFile(p, "tls-cert", t.CertFile)
	checkFile(p, "tls-key", t.KeyFile)
	checkFile(p, "tls-client-ca", t.ClientCAFile)
}

func (c Config) validateBundle(p *problems) {
	b := c.Bundle
	if len(b.Sources) == 0 {
		p.add("bundle", "at least one bundle source is required")
	}
	for i, src := range b.Sources {
		if strings.TrimSpace(src) == "" {
			p.add("bundle", "source %d is empty", i+1)
		}
	}
	checkBundleNames(p, b.Sources)
	checkDuration(p, "bundle-poll", b.Poll)
	checkOneOf(p, "bundle-verification-alg", b.VerificationAlg, BundleSigningAlgs())
	if b.VerificationKey != "" && strings.TrimSpace(b.VerificationKeyID) == "" {
		p.add("bundle-verification-key-id", "must not be empty with --bundle-verification-key")
	}
	checkFile(p, "bundle-verification-key", b.VerificationKey)
	checkFile(p, "bundle-token-file", b.TokenFile)
}

// checkBundleNames reports sources that share a bundle name (bundle.Name),
// which the bundle manager refuses.
func checkBundleNames(p *problems, sources []string) {
	seen := map[string]string{}
	for _, src := range sources {
		name := bundle.Name(src)
		if other, dup := seen[name]; dup && strings.TrimSpace(src) != "" {
			p.add("bundle", "%q and %q share the bundle name %q", other, src, name)
		}
		seen[name] = src
	}
}

func (c Config) validateAudit(p *problems) {
	checkOneOf(p, "audit-sync", c.Audit.Sync, AuditSyncModes())
	checkDuration(p, "audit-retention", c.Audit.Retention)
	checkDuration(p, "audit-checkpoint-interval", c.Audit.CheckpointInterval)
	checkFile(p, "audit-signing-key", c.Audit.SigningKey)
	if c.Audit.CheckpointEvery < 0 {
		p.add("audit-checkpoint-every", "must not be negative, got %d", c.Audit.CheckpointEvery)
	}
	c.validateFleet(p) // fleet.go
}

func (c Config) validateCache(p *problems) {
	checkDuration(p, "cache-ttl", c.Cache.TTL)
	if c.Cache.Size < 0 { // 0: no in-process tier (Redis only)
		p.add("cache-size", "must not be negative, got %d", c.Cache.Size)
	}
	if c.Cache.RedisCluster && c.Cache.RedisSentinelMaster != "" {
		p.add("redis-sentinel-master", "cannot be combined with --redis-cluster")
	}
	if c.Cache.RedisURL == "" {
		if c.Cache.RedisCluster || c.Cache.RedisSentinelMaster != "" {
			p.add("redis-url", "required with --redis-cluster or --redis-sentinel-master")
		}
		return
	}
	u := checkURL(p, "redis-url", c.Cache.RedisURL, "redis", "rediss")
	if u == nil {
		return
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			p.add("redis-url", "database %q is not a non-negative number", db)
		} else if n != 0 && c.Cache.RedisCluster {
			p.add("redis-url", "a Redis Cluster has only database 0, not %d", n)
		}
	}
	c.validateRedisTopology(p, u.Query())
}

// validateRedisTopology checks the addr= and master_name= parameters of
// --redis-url against --redis-cluster and --redis-sentinel-master.
func (c Config) validateRedisTopology(p *problems, q url.Values) {
	for _, addr := range q["addr"] {
		if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
			p.add("redis-url", "addr=%q is not host:port", addr)
		}
	}
	master, cluster := q.Get("master_name"), c.Cache.RedisCluster
	switch {
	case master != "" && cluster:
		p.add("redis-url", "master_name= names a sentinel master, which a Redis Cluster has not")
	case master != "" && c.Cache.RedisSentinelMaster != "" && master != c.Cache.RedisSentinelMaster:
		p.add("redis-url", "master_name=%q differs from --redis-sentinel-master %q", master, c.Cache.RedisSentinelMaster)
	case q.Has("addr") && !cluster && master == "" && c.Cache.RedisSentinelMaster == "":
		p.add("redis-url", "addr= names more servers: add --redis-cluster or --redis-sentinel-master")
	}
}

func (c Config) validateJWT(p *problems) {
	j := c.JWT
	if j.JWKSFile != "" && j.JWKSURL != "" {
		p.add("jwks-url", "cannot be combined with --jwks-file")
	}
	if j.JWKSURL != "" {
		checkURL(p, "jwks-url", j.JWKSURL, "http", "https")
	}
	checkFile(p, "jwks-file", j.JWKSFile)
	checkFile(p, "jwt-hmac-secret-file", j.HMACSecretFile)
}

func checkDuration(p *problems, flagName string, d time.Duration) {
	if d < 0 {
		p.add(flagName, "must not be negative")
	}
}

func checkOneOf(p *problems, flagName, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		p.add(flagName, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

// checkURL checks that raw is an absolute URL with one of schemes and a
// host; it returns the parsed URL, or nil after reporting a problem.
// Messages never repeat raw, which may hold a password.
func checkURL(p *problems, flagName, raw string, schemes ...string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		p.add(flagName, "not a valid URL")
		return nil
	}
	if !slices.Contains(schemes, u.Scheme) {
		p.add(flagName, "scheme %q is not one of %s://", u.Scheme, strings.Join(schemes, "://, "))
		return nil
	}
	if u.Host == "" {
		p.add(flagName, "URL has no host")
		return nil
	}
	return u
}

// checkFile reports a file named by a flag that does not exist or is a
// directory. An empty path is not checked.
func checkFile(p *problems, flagName, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.add(flagName, "file %q does not exist", path)
	case err != nil:
		p.add(flagName, "%v", err)
	case st.IsDir():
		p.add(flagName, "%q is a directory, not a file", path)
	}
}

package config

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet defines every serve flag, bound to the fields of c and with the
// current values of c as defaults. Parse it with ParseFlags.
func newFlagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("pdp serve", flag.ContinueOnError)
	fs.StringVar(&c.ConfigFile, "config", c.ConfigFile, "YAML configuration `file`")
	fs.BoolVar(&c.PrintConfig, "print-config", c.PrintConfig, "print the effective configuration (secrets redacted) and exit")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "`directory` for local state")
	fs.StringVar(&c.Log.Level, "log-level", c.Log.Level, "log `level`: debug, info, warn or error")
	defineServer(fs, &c.Server)
	defineTLS(fs, &c.TLS)
	defineBundle(fs, &c.Bundle)
	defineAudit(fs, &c.Audit)
	defineCache(fs, &c.Cache)
	defineAuth(fs, &c.Authz, &c.JWT)
	defineAlarm(fs, &c.Alarm)
	defineSearch(fs, &c.Search)
	return fs
}

func defineServer(fs *flag.FlagSet, s *ServerConfig) {
	fs.StringVar(&s.GRPCAddr, "grpc-addr", s.GRPCAddr, "gRPC listen `address` (host:port)")
	fs.StringVar(&s.HTTPAddr, "http-addr", s.HTTPAddr, "HTTP listen `address` (host:port): health, metrics, AuthZEN")
	fs.StringVar(&s.PublicURL, "public-url", s.PublicURL, "public base `URL` of the HTTP port (default http://<http-addr>)")
	fs.BoolVar(&s.Insecure, "insecure", s.Insecure, "allow plaintext listeners on non-loopback addresses")
	fs.IntVar(&s.MaxBatch, "max-batch", s.MaxBatch, "maximum `N` items in one batch request (1..1000)")
	fs.DurationVar(&s.ShutdownGrace, "shutdown-grace", s.ShutdownGrace, "graceful shutdown `duration` before forcing")
	fs.Float64Var(&s.RateLimit, "rate-limit", s.RateLimit, "`N` requests a second per caller (token bucket); 0 = off")
	fs.IntVar(&s.RateBurst, "rate-burst", s.RateBurst, "token bucket size `N` per caller; 0 = max(1, --rate-limit)")
}

func defineTLS(fs *flag.FlagSet, t *TLSConfig) {
	fs.StringVar(&t.CertFile, "tls-cert", t.CertFile, "server certificate PEM `file` (with --tls-key)")
	fs.StringVar(&t.KeyFile, "tls-key", t.KeyFile, "server private key PEM `file` (with --tls-cert)")
	fs.StringVar(&t.ClientCAFile, "tls-client-ca", t.ClientCAFile, "CA PEM `file` for client certificates (mTLS)")
}

func defineBundle(fs *flag.FlagSet, b *BundleConfig) {
	fs.Var(&listValue{p: &b.Sources}, "bundle", "bundle `source`: directory, .tar.gz or URL; repeatable")
	fs.StringVar(&b.Entrypoint, "entrypoint", b.Entrypoint, "entrypoint `path` under data (default: manifest, else authz/decision)")
	fs.DurationVar(&b.Poll, "bundle-poll", b.Poll, "bundle polling `duration`; 0 = off")
	fs.StringVar(&b.VerificationKey, "bundle-verification-key", b.VerificationKey, "`file`: PEM public key (or HMAC secret) verifying bundle signatures")
	fs.StringVar(&b.VerificationKeyID, "bundle-verification-key-id", b.VerificationKeyID, "key `id` of the verification key")
	fs.StringVar(&b.VerificationAlg, "bundle-verification-alg", b.VerificationAlg, "signature `algorithm` of the verification key")
	fs.StringVar(&b.TokenFile, "bundle-token-file", b.TokenFile, "`file` holding a bearer token for HTTP bundle sources")
}

func defineAudit(fs *flag.FlagSet, a *AuditConfig) {
	fs.StringVar(&a.DB, "audit-db", a.DB, "audit database `path` (default <data-dir>/audit.db)")
	fs.StringVar(&a.Sync, "audit-sync", a.Sync, "audit durability `mode`: normal or full (survives power loss)")
	fs.DurationVar(&a.Retention, "audit-retention", a.Retention, "keep audit records for this `duration`; 0 = forever")
	fs.StringVar(&a.SigningKey, "audit-signing-key", a.SigningKey, "Ed25519 private key `file` (PEM) signing audit checkpoints (default <data-dir>/audit-signing-key.pem, generated)")
	fs.IntVar(&a.CheckpointEvery, "audit-checkpoint-every", a.CheckpointEvery, "sign an audit checkpoint every `N` records; 0 = only by time")
	fs.DurationVar(&a.CheckpointInterval, "audit-checkpoint-interval", a.CheckpointInterval, "sign an audit checkpoint every `duration` while records arrive; 0 = only by count")
	defineFleet(fs, &a.Fleet)
}

func defineFleet(fs *flag.FlagSet, f *FleetConfig) {
	fs.StringVar(&f.URL, "audit-url", f.URL, "fleet audit database `URL` postgres://USER@HOST:PORT/DB?sslmode=...; records are shipped there")
	fs.StringVar(&f.PasswordFile, "audit-password-file", f.PasswordFile, "`file` holding the password of --audit-url")
	fs.StringVar(&f.InstanceID, "instance-id", f.InstanceID, "`id` of this replica and its hash chain in the fleet's trail (default: the host name)")
	fs.Var(&f.BacklogMax, "audit-backlog-max", "`size` of records not yet shipped past which Check is Unavailable (e.g. 512MiB)")
	fs.StringVar(&f.Ship, "audit-ship", f.Ship, "`mode`: async (answer once durable locally) or sync (once PostgreSQL committed)")
}

func defineCache(fs *flag.FlagSet, c *CacheConfig) {
	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL, "shared cache `URL` redis://[user:pass@]host:port/db or rediss://; more servers as ?addr=host:port&addr=...")
	fs.BoolVar(&c.RedisCluster, "redis-cluster", c.RedisCluster, "--redis-url names the seed nodes of a Redis Cluster")
	fs.StringVar(&c.RedisSentinelMaster, "redis-sentinel-master", c.RedisSentinelMaster, "master `name` watched by the sentinels that --redis-url names")
	fs.DurationVar(&c.TTL, "cache-ttl", c.TTL, "decision cache time to live, a `duration`; 0 = cache off")
	fs.IntVar(&c.Size, "cache-size", c.Size, "in-process decision cache size, `N` entries")
}

func defineAuth(fs *flag.FlagSet, a *AuthzConfig, j *JWTConfig) {
	fs.Var(&listValue{p: &a.Auditors, comma: true}, "auditors", "caller `ids` allowed to query the audit trail (comma list)")
	fs.Var(&listValue{p: &a.PolicyAuthors, comma: true}, "policy-authors", "caller `ids` allowed to ask for explanations (comma list)")
	fs.StringVar(&j.JWKSFile, "jwks-file", j.JWKSFile, "JWKS `file` verifying subject tokens")
	fs.StringVar(&j.JWKSURL, "jwks-url", j.JWKSURL, "JWKS `URL` verifying subject tokens")
	fs.StringVar(&j.Issuer, "jwt-issuer", j.Issuer, "required `iss` of subject tokens")
	fs.StringVar(&j.Audience, "jwt-audience", j.Audience, "required `aud` of subject tokens")
	fs.StringVar(&j.HMACSecretFile, "jwt-hmac-secret-file", j.HMACSecretFile, "`file` holding the HMAC secret of HS* subject tokens")
}

// printUsage lists every flag with its environment variable and default.
func printUsage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, "Usage: pdp serve [flags]\n\n"+
		"Precedence: defaults < --config YAML file < PDP_* environment < flags.\n"+
		"Lists in the environment are comma-separated (PDP_BUNDLE=a,b).\n\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(out, "  --%s\n    \t%s", strings.TrimSpace(f.Name+" "+arg), usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(out, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(out, " [$%s]\n", envName(f.Name))
	})
}

// listValue is a []string flag. The first Set in a flag set replaces the
// value from earlier layers; later ones append. With comma, each Set takes a
// comma-separated list.
type listValue struct {
	p       *[]string
	comma   bool
	touched bool
}

func (l *listValue) String() string {
	if l == nil || l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listValue) Set(s string) error {
	items := []string{strings.TrimSpace(s)}
	if l.comma {
		items = splitList(s)
	}
	if !l.touched {
		*l.p = nil
		l.touched = true
	}
	*l.p = append(*l.p, items...)
	return nil
}

// setList replaces the value with items (used for environment variables).
func (l *listValue) setList(items []string) {
	*l.p = append([]string(nil), items...)
	l.touched = true
}

// splitList splits a comma-separated list, trimming space and dropping
// empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// envName is the environment variable of a flag: PDP_ and the flag name in
// upper case with dashes as underscores.
func envName(flagName string) string {
	return "PDP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

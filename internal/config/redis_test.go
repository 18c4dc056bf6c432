package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRedisTopology: --redis-cluster and --redis-sentinel-master come
// from the file, PDP_* variables and flags like every other flag.
func TestLoadRedisTopology(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pdp.yaml")
	yaml := "cache:\n  redis_url: redis://a:1?addr=b:2\n  redis_cluster: true\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		args, env   []string
		wantCluster bool
		wantMaster  string
	}{
		{"file", []string{"--config", file}, nil, true, ""},
		{"env", nil, []string{"PDP_REDIS_CLUSTER=true", "PDP_REDIS_SENTINEL_MASTER=m1"}, true, "m1"},
		{"flags", []string{"--redis-cluster", "--redis-sentinel-master", "m2"}, nil, true, "m2"},
		{"flag beats file", []string{"--config", file, "--redis-cluster=false"}, nil, false, ""},
		{"defaults", nil, nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.args, tc.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			eq(t, "cluster", c.Cache.RedisCluster, tc.wantCluster)
			eq(t, "sentinel master", c.Cache.RedisSentinelMaster, tc.wantMaster)
		})
	}
}

func TestValidateRedisTopology(t *testing.T) {
	const cluster = "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002"
	tests := []struct {
		name    string
		url     string
		cluster bool
		master  string
		want    string // "" when valid
	}{
		{"cluster", cluster, true, "", ""},
		{"cluster of one seed", "redis://127.0.0.1:7000", true, "", ""},
		{"sentinel", "redis://:pw@127.0.0.1:26379/2?addr=127.0.0.1:26380", false, "mymaster", ""},
		{"sentinel from the URL", "redis://127.0.0.1:26379?master_name=m", false, "", ""},
		{"sentinel, URL agrees", "redis://127.0.0.1:26379?master_name=m", false, "m", ""},
		{"both", cluster, true, "m", "--redis-sentinel-master: cannot be combined with --redis-cluster"},
		{"addr without a mode", cluster, false, "", "--redis-url: addr= names more servers"},
		{"addr not host:port", "redis://127.0.0.1:7000?addr=7001", true, "", `--redis-url: addr="7001" is not host:port`},
		{"cluster database", "redis://127.0.0.1:7000/3", true, "", "--redis-url: a Redis Cluster has only database 0"},
		{"cluster with master_name", "redis://h:1?master_name=m", true, "", "--redis-url: master_name="},
		{"master names differ", "redis://h:1?master_name=a", false, "b", `master_name="a" differs`},
		{"cluster without url", "", true, "", "--redis-url: required with --redis-cluster"},
		{"sentinel without url", "", false, "m", "--redis-url: required with"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			c.Cache.RedisURL, c.Cache.RedisCluster, c.Cache.RedisSentinelMaster = tc.url, tc.cluster, tc.master
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRedactedRedisTopology: the password of a cluster or sentinel URL is
// hidden, its addresses kept (query-escaped, as url.Values writes them).
func TestRedactedRedisTopology(t *testing.T) {
	c := Default()
	c.Cache.RedisURL = "redis://u:s3cret@10.0.0.1:7000?addr=10.0.0.2:7000&password=s3cret2"
	c.Cache.RedisSentinelMaster = "mymaster"
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret", "s3cret2"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("printed config holds %q:\n%s", secret, out)
		}
	}
	for _, kept := range []string{"addr=10.0.0.2%3A7000", "redis_sentinel_master: mymaster", "redis_cluster: false"} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("printed config lacks %q:\n%s", kept, out)
		}
	}
}

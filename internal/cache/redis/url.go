package redis

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Topology says how the servers of a URL form the cache.
type Topology struct {
	// Cluster: the URL's host and every addr= parameter seed a Redis
	// Cluster (--redis-cluster).
	Cluster bool
	// SentinelMaster names the master that the sentinels at the URL's host
	// and addr= parameters watch (--redis-sentinel-master). The URL's own
	// master_name= parameter, go-redis' spelling, means the same.
	SentinelMaster string
}

// universalOptions reads a redis:// or rediss:// URL for topo:
//   - redis://[user:pass@]host:port/db: one server;
//   - with topo.SentinelMaster: Sentinel; the host and every addr= are
//     sentinels, the user info authenticates to them and, unless the
//     username= or password= parameters say otherwise, to the master too;
//   - with topo.Cluster: Redis Cluster seeded with the host and every addr=.
func universalOptions(raw string, topo Topology) (*goredis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	q := u.Query()
	master, err := sentinelMaster(q, topo)
	if err != nil {
		return nil, err
	}
	switch {
	case master != "":
		return failover(u, master)
	case topo.Cluster:
		return cluster(raw, u.Path)
	case q.Has("addr"):
		return nil, errors.New("addr= names more servers: add --redis-cluster or --redis-sentinel-master")
	}
	o, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username,
		Password: o.Password, TLSConfig: o.TLSConfig, Protocol: o.Protocol}, nil
}

// sentinelMaster is the master name of topo or of the URL, which must agree.
func sentinelMaster(q url.Values, topo Topology) (string, error) {
	fromURL := q.Get("master_name")
	switch {
	case topo.Cluster && (topo.SentinelMaster != "" || fromURL != ""):
		return "", errors.New("a Redis Cluster has no sentinel master")
	case topo.SentinelMaster != "" && fromURL != "" && fromURL != topo.SentinelMaster:
		return "", fmt.Errorf("master_name=%q differs from the sentinel master %q", fromURL, topo.SentinelMaster)
	case topo.SentinelMaster != "":
		return topo.SentinelMaster, nil
	}
	return fromURL, nil
}

func failover(u *url.URL, master string) (*goredis.UniversalOptions, error) {
	q := u.Query()
	q.Set("master_name", master)
	if u.User != nil && !q.Has("username") && !q.Has("password") {
		// One set of credentials for sentinels and data nodes, the common case.
		pw, _ := u.User.Password()
		q.Set("username", u.User.Username())
		q.Set("password", pw)
	}
	withMaster := *u
	withMaster.RawQuery = q.Encode()
	o, err := goredis.ParseFailoverURL(withMaster.String())
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{MasterName: o.MasterName, Addrs: o.SentinelAddrs, DB: o.DB,
		Username: o.Username, Password: o.Password, SentinelUsername: o.SentinelUsername,
		SentinelPassword: o.SentinelPassword, TLSConfig: o.TLSConfig, Protocol: o.Protocol}, nil
}

func cluster(raw, path string) (*goredis.UniversalOptions, error) {
	if db := strings.Trim(path, "/"); db != "" && db != "0" {
		return nil, fmt.Errorf("a Redis Cluster has only database 0, not %q", db)
	}
	o, err := goredis.ParseClusterURL(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{Addrs: o.Addrs, IsClusterMode: true, Username: o.Username,
		Password: o.Password, TLSConfig: o.TLSConfig, Protocol: o.Protocol}, nil
}

// withoutURL is a URL parsing error without the URL it repeats, which may
// hold a password: url.Error keeps only its cause (`invalid port ":x" after
// host`). go-redis' own messages name an option or the path, never the
// user info.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("not a valid URL: %w", ue.Err)
	}
	return err
}

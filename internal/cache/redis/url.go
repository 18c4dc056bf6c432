package redis

import (
	"errors"
	"fmt"
	"net/url"

	goredis "github.com/redis/go-redis/v9"
)

// universalOptions reads a redis:// or rediss:// URL:
//   - redis://[user:pass@]host:port/db: one server;
//   - ...?master_name=NAME&addr=host2:port: Sentinel (host and every addr
//     are sentinels);
//   - ...?addr=host2:port&addr=...: Redis Cluster seeded with every address.
func universalOptions(raw string) (*goredis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		return failover(raw)
	case q.Has("addr"):
		return cluster(raw)
	}
	o, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username,
		Password: o.Password, TLSConfig: o.TLSConfig, Protocol: o.Protocol}, nil
}

func failover(raw string) (*goredis.UniversalOptions, error) {
	o, err := goredis.ParseFailoverURL(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{MasterName: o.MasterName, Addrs: o.SentinelAddrs, DB: o.DB,
		Username: o.Username, Password: o.Password, SentinelUsername: o.SentinelUsername,
		SentinelPassword: o.SentinelPassword, TLSConfig: o.TLSConfig}, nil
}

func cluster(raw string) (*goredis.UniversalOptions, error) {
	o, err := goredis.ParseClusterURL(raw)
	if err != nil {
		return nil, withoutURL(err)
	}
	return &goredis.UniversalOptions{Addrs: o.Addrs, IsClusterMode: true, Username: o.Username,
		Password: o.Password, TLSConfig: o.TLSConfig}, nil
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

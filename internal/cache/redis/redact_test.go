package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/cache/redis"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
)

// TestErrorsHidePassword: neither Open nor a failing command repeats the
// password of the URL (go-redis' dial errors name the address only).
func TestErrorsHidePassword(t *testing.T) {
	const password = "RPASS"
	tests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"invalid URL", func(*testing.T) string { return "redis://u:" + password + "@127.0.0.1:port/0" }},
		{"connection refused", func(t *testing.T) string { return "redis://u:" + password + "@" + redistest.ClosedAddr(t) + "/0" }},
		{"sentinel password, unreachable", func(t *testing.T) string {
			return "redis://" + redistest.ClosedAddr(t) + "?master_name=m&password=" + password
		}},
		{"wrong password", func(t *testing.T) string { return "redis://u:" + password + "@" + redistest.Start(t).Addr() + "/0" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := openAndPing(tc.url(t))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func openAndPing(url string) error {
	s, err := redis.Open(url, redis.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Ping(context.Background())
}

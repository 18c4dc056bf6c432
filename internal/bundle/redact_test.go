package bundle_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
)

// The secrets of the URL sources below: a password and a query token.
const (
	password   = "BPASS"
	queryToken = "BTOK"
)

// withSecrets adds user info and a token to an http:// URL.
func withSecrets(u string) string {
	return strings.Replace(u, "http://", "http://bu:"+password+"@", 1) + "?token=" + queryToken
}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{password, queryToken} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows %s:\n%s", what, secret, text)
		}
	}
}

// TestURLSecretsNotShown: whatever makes a download fail, the user info and
// query of the URL source appear neither in the log (source and error, first
// and repeated failures) nor in the status that /readyz shows.
func TestURLSecretsNotShown(t *testing.T) {
	refused := withSecrets("http://" + closedAddr(t) + "/b/remote.tar.gz")
	down := bundletest.NewServer(t)
	down.SetDown(true)
	corrupt := bundletest.NewServer(t)
	corrupt.Set("authz", []byte("\x1f\x8bnot really gzip"))
	tests := []struct{ name, url, want string }{
		{"connection refused", refused, "connection refused"},
		{"server error", withSecrets(down.URL("authz")), "Service Unavailable"},
		{"corrupt tarball", withSecrets(corrupt.URL("authz")), "gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log lockedBuffer
			logger := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			m, _ := startOpts(t, bundle.Options{Paths: []string{tc.url}, Poll: 20 * time.Millisecond, Logger: logger})
			waitFor(t, "two failures logged", func() bool { return strings.Count(log.String(), "bundle not activated") >= 2 })
			st, err := json.Marshal(m.Status())
			if err != nil {
				t.Fatal(err)
			}
			if got := lastError(m); !strings.Contains(got, tc.want) || !strings.Contains(got, "download http://") {
				t.Errorf("last error %q: want the download and %q", got, tc.want)
			}
			assertNoSecret(t, "status", string(st))
			assertNoSecret(t, "log", log.String())
		})
	}
}

// TestNewManagerErrorsHideURLSecrets: configuration errors, printed at
// start, do not repeat the secrets of the URL sources either.
func TestNewManagerErrorsHideURLSecrets(t *testing.T) {
	tests := map[string][]string{
		"same name":   {withSecrets("http://h/b/example.tar.gz"), "bundles/example"},
		"invalid URL": {withSecrets("http://h:port/b/example.tar.gz")},
	}
	for name, paths := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := bundle.NewManager(bundle.Options{Paths: paths, Activator: activatorFunc(nil)})
			if err == nil {
				t.Fatal("NewManager succeeded")
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// lockedBuffer is a log destination read while the manager writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

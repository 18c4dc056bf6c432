package bundle

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
)

// TestRedactError: every URL in an error text loses its user info and
// query, in the forms Go's and OPA's HTTP clients print them.
func TestRedactError(t *testing.T) {
	const source = "http://bu:BPASS@127.0.0.1:1/b/remote.tar.gz?token=BTOK"
	urlErr := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/b/remote.tar.gz?token=BTOK", Err: errors.New("dial tcp: refused")}
	tests := []struct {
		name, source string
		err          error
		want         string
	}{
		{"wrapped source and url.Error", source, fmt.Errorf("download %s: request failed: %w", source, urlErr),
			`download http://127.0.0.1:1/b/remote.tar.gz: request failed: Get "http://127.0.0.1:1/b/remote.tar.gz": dial tcp: refused`},
		{"net/http's masked password", source, errors.New(`Get "http://bu:***@h/x?sig=S": EOF`), `Get "http://h/x": EOF`},
		{"quoted source", source, fmt.Errorf("bundle source %q: bad", source), `bundle source "http://127.0.0.1:1/b/remote.tar.gz": bad`},
		{"invalid URL", "http://u:BPASS@h:bad/x?token=BTOK", errors.New("at http://u:BPASS@h:bad/x?token=BTOK, failed"),
			"at http://h:bad/x, failed"},
		{"URL without secrets", "https://h/b/x.tar.gz", errors.New("download https://h/b/x.tar.gz: 404"),
			"download https://h/b/x.tar.gz: 404"},
		{"path", "bundles/example", errors.New(`load bundle "bundles/example": no such file`),
			`load bundle "bundles/example": no such file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactError(tc.err, tc.source).Error(); got != tc.want {
				t.Errorf("redactError =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

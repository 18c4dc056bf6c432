package app

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdp-project/pdp/internal/server/console"
)

// mountConsole adds the web console under /ui/ to the HTTP port's
// handlers: it reads the trail the AuditService serves and asks the system
// policy as the gRPC methods whose data it shows; the per-caller rate
// limit counts each page like a call.
func (a *App) mountConsole(handlers map[string]http.Handler, guard httpGuard) error {
	c, err := console.New(console.Options{
		Trail: a.trail(), Authorizer: guard.authz, Caller: httpCaller, Engine: a.engine,
		Bundles: a.bundles.Status, PublicKey: a.auditPub, Fingerprint: KeyFingerprint,
		SpikeAction: ActionDenySpike, Hosts: a.consoleHosts(), Started: time.Now(), Logger: a.reqLog,
	})
	if err != nil {
		return err
	}
	handlers[console.Prefix] = limitPages(c.Handler(), guard)
	return nil
}

// consoleHosts are the host names a plaintext console request may be
// addressed to besides loopback names: those of --http-addr and
// --public-url.
func (a *App) consoleHosts() []string {
	var hosts []string
	if h, _, err := net.SplitHostPort(a.cfg.Server.HTTPAddr); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	if u, err := url.Parse(a.cfg.Server.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

// limitPages applies the per-caller rate limit to the console's pages
// (its static files excepted).
func limitPages(h http.Handler, guard httpGuard) http.Handler {
	if guard.limiter == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := httpCaller(r)
		if !strings.HasPrefix(r.URL.Path, console.Prefix+"static/") && !guard.limiter.Allow(caller) {
			guard.log.Warn("rate limit exceeded", "caller", caller, "method", r.URL.Path)
			http.Error(w, "rate limit exceeded for caller "+caller, http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	})
}

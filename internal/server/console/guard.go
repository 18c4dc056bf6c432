package console

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// perm is one question to the system policy: may the caller call method
// (asking for an explanation or not)?
type perm struct {
	method  string
	explain bool
	// who names the flag that usually grants it, for the refusal page.
	who string
}

var (
	permQuery  = perm{MethodQuery, false, "--auditors"}
	permGet    = perm{MethodGet, false, "--auditors"}
	permVerify = perm{MethodVerify, false, "--auditors"}
	permAuthor = perm{MethodCheck, true, "--policy-authors"}
)

// contentSecurity allows the console's own scripts, styles and images
// only: no inline script, nothing from another origin, no framing.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// guard sets the security headers of every response and refuses requests
// that did not come from the console's own pages: a plaintext request
// naming a host other than the server's (a page of another site reaching a
// loopback console through DNS rebinding), and a POST from another origin.
func (c *Console) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurity)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin") // not no-referrer: that sends "Origin: null" with the console's own forms
		h.Set("X-Frame-Options", "DENY")
		if r.TLS == nil && !c.hostAllowed(r.Host) {
			c.fail(w, r, http.StatusMisdirectedRequest, "Unknown host",
				"This console answers only requests addressed to its own host name; "+r.Host+" is not one (add it with --public-url).")
			return
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			c.fail(w, r, http.StatusForbidden, "Cross-site request refused",
				"A form of another site may not post to the console.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a plaintext request's Host is a loopback
// address, localhost or one of the configured hosts.
func (c *Console) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return true
	}
	return strings.EqualFold(host, "localhost") || slices.ContainsFunc(c.opts.Hosts, func(h string) bool {
		return strings.EqualFold(h, host) || strings.EqualFold(h, hostport)
	})
}

// sameOrigin reports whether a request came from a page of this host: its
// Origin (when the browser sent one) names the request's host, and the
// browser did not mark it cross-site.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// crossSite reports a request the browser made from another site's page
// (a followed link): pages that would read a candidate bundle then show
// the form filled in and wait for the user to press Run.
func crossSite(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "cross-site"
}

// allow asks the system policy every perm for the caller of r. On the
// first refusal it writes the refusal page (403, no data) and returns
// false; a failure of the policy itself is an error page.
func (c *Console) allow(w http.ResponseWriter, r *http.Request, perms ...perm) (string, bool) {
	caller := c.opts.Caller(r)
	for _, p := range perms {
		err := c.opts.Authorizer.Authorize(r.Context(), p.method, caller, p.explain)
		if err == nil {
			continue
		}
		if pdp.ErrorCode(err) == pdp.CodePermissionDenied {
			c.refuse(w, r, caller, p)
		} else {
			c.failErr(w, r, err)
		}
		return caller, false
	}
	return caller, true
}

// may reports whether caller may call p (for parts of a page that only
// some callers see); a failing policy counts as no.
func (c *Console) may(ctx context.Context, caller string, p perm) bool {
	return c.opts.Authorizer.Authorize(ctx, p.method, caller, p.explain) == nil
}

// refusal is the data of the refusal page.
type refusal struct {
	Caller, Method, Who string
	Explain             bool
}

func (c *Console) refuse(w http.ResponseWriter, r *http.Request, caller string, p perm) {
	c.opts.Logger.Warn("console call refused", "caller", caller, "method", p.method, "explain", p.explain, "path", r.URL.Path)
	c.render(w, r, http.StatusForbidden, "refused", "Not allowed", caller,
		refusal{Caller: caller, Method: p.method, Who: p.who, Explain: p.explain})
}

// failErr writes the error page of err: its code decides the status, its
// public message is shown, and an internal error is logged here once.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := pdp.Public(err)
	status := httpStatus(code)
	if status >= 500 {
		c.opts.Logger.Error("console", "path", r.URL.Path, "error", err)
	}
	c.fail(w, r, status, http.StatusText(status), msg)
}

func httpStatus(code pdp.Code) int {
	switch code {
	case pdp.CodeInvalidArgument:
		return http.StatusBadRequest
	case pdp.CodePermissionDenied:
		return http.StatusForbidden
	case pdp.CodeNotFound:
		return http.StatusNotFound
	case pdp.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case pdp.CodeUnavailable:
		return http.StatusServiceUnavailable
	case pdp.CodeFailedPrecondition:
		return http.StatusConflict
	case pdp.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	case pdp.CodeCanceled:
		return 499 // the client went away; nobody reads the page
	}
	return http.StatusInternalServerError
}

// failure is the data of the error page.
type failure struct {
	Status  int
	Message string
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	c.render(w, r, status, "error", title, "", failure{Status: status, Message: msg})
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, http.StatusNotFound, "Not found", "The console has no page at "+r.URL.Path+".")
}

// publicMsg is the message of err that is safe to show.
func publicMsg(err error) string {
	_, msg := pdp.Public(err)
	return msg
}

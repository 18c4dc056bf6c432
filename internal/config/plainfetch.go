package config

import "net/url"

// validateFetches applies the listening rule to what the PDP fetches: plain
// HTTP to a host other than loopback lets anyone on the path swap the JWKS
// (and forge any subject) or the policy, or read the bearer token sent
// with bundle downloads. It needs https, a bundle verification key for the
// policy, or an explicit --insecure.
func (c Config) validateFetches(p *problems) {
	if c.Server.Insecure {
		return
	}
	if plainRemote(c.JWT.JWKSURL) {
		p.add("jwks-url", "%q is plain http to a host that is not loopback: anyone on the path could "+
			"replace the keys and forge any subject; use https, or pass --insecure", redactURL(c.JWT.JWKSURL))
	}
	for _, src := range c.Bundle.Sources {
		if !plainRemote(src) {
			continue
		}
		if c.Bundle.VerificationKey == "" {
			p.add("bundle", "%q is plain http to a host that is not loopback: anyone on the path could "+
				"replace the policy; use https or --bundle-verification-key, or pass --insecure", redactURL(src))
		}
		if c.Bundle.TokenFile != "" {
			p.add("bundle-token-file", "the token would cross the network in the clear to %q; use https, "+
				"or pass --insecure", redactURL(src))
		}
	}
}

// plainRemote reports whether raw is an http:// URL to a host that is not
// loopback.
func plainRemote(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && !isLoopback(u.Hostname())
}

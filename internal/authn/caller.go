// Package authn establishes who is calling the PDP (mTLS peers) and, later,
// verifies subject tokens.
package authn

import (
	"context"
	"crypto/x509"
	"net"
	"net/netip"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Caller identities that do not come from a certificate.
const (
	// Local is a plaintext caller on a loopback address.
	Local = "local"
	// Anonymous is a caller with no verified identity; Rego sees caller {}.
	Anonymous = ""
)

// CallerFromContext returns the identity of the gRPC peer in ctx.
func CallerFromContext(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return Anonymous
	}
	if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
		return fromChains(info.State.VerifiedChains)
	}
	return fromPlainAddr(p.Addr)
}

// FromCertificates names the caller of a verified TLS connection: the first
// URI SAN (a SPIFFE ID), else the first DNS SAN, else the subject CN; a
// certificate that names itself "local" is "cert:local".
func FromCertificates(chains [][]*x509.Certificate) string {
	return fromChains(chains)
}

func fromChains(chains [][]*x509.Certificate) string {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return Anonymous
	}
	id := leafID(chains[0][0])
	if id == Local { // only the transport grants local: --auditors local must not admit a certificate
		return certPrefix + id
	}
	return id
}

// certPrefix namespaces a certificate identity that would otherwise read as
// one the transport grants.
const certPrefix = "cert:"

func leafID(leaf *x509.Certificate) string {
	switch {
	case len(leaf.URIs) > 0:
		return leaf.URIs[0].String()
	case len(leaf.DNSNames) > 0:
		return leaf.DNSNames[0]
	default:
		return leaf.Subject.CommonName
	}
}

// FromRemoteAddr names a plaintext caller from its address: local on
// loopback, anonymous otherwise.
func FromRemoteAddr(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return Anonymous
	}
	return Local
}

func fromPlainAddr(addr net.Addr) string {
	if addr == nil {
		return Anonymous
	}
	return FromRemoteAddr(addr.String())
}

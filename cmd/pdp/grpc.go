package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// clientTLS is the client side of TLS for every command that dials a PDP:
// the CA that signs the server's certificate, the client certificate the
// server may require (mTLS) and the name to check the server's certificate
// against. All empty: plaintext.
type clientTLS struct {
	ca, cert, key, serverName string
}

// define adds --tls-ca, --tls-cert, --tls-key and --tls-server-name to fs.
func (c *clientTLS) define(fs *flag.FlagSet) {
	fs.StringVar(&c.ca, "tls-ca", "", "CA certificate PEM `file` to verify the server's certificate with (default: the system's CAs); turns TLS on")
	fs.StringVar(&c.cert, "tls-cert", "", "client certificate PEM `file` for servers that require one (with --tls-key); turns TLS on")
	fs.StringVar(&c.key, "tls-key", "", "client private key PEM `file` (with --tls-cert)")
	fs.StringVar(&c.serverName, "tls-server-name", "", "`name` the server's certificate must carry (default: the host of --addr); turns TLS on")
}

// enabled reports whether any TLS flag is set.
func (c *clientTLS) enabled() bool {
	return c.ca != "" || c.cert != "" || c.key != "" || c.serverName != ""
}

// credentials returns plaintext when no TLS flag is set; unreadable or
// mismatched files are usage errors naming their flag.
func (c *clientTLS) credentials() (credentials.TransportCredentials, error) {
	if !c.enabled() {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.serverName}
	if err := c.loadCA(cfg); err != nil {
		return nil, err
	}
	if err := c.loadCert(cfg); err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

func (c *clientTLS) loadCA(cfg *tls.Config) error {
	if c.ca == "" {
		return nil
	}
	data, err := os.ReadFile(c.ca)
	if err != nil {
		return usagef("--tls-ca: %v", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(data) {
		return usagef("--tls-ca %s: no PEM certificate in the file", c.ca)
	}
	return nil
}

func (c *clientTLS) loadCert(cfg *tls.Config) error {
	switch {
	case c.cert == "" && c.key == "":
		return nil
	case c.cert == "" || c.key == "":
		return usagef("--tls-cert and --tls-key go together: give both or neither")
	}
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return usagef("--tls-cert %s, --tls-key %s: %v", c.cert, c.key, err)
	}
	cfg.Certificates = []tls.Certificate{pair}
	return nil
}

// dial opens a connection to a PDP's gRPC port (--addr), over TLS when a
// TLS flag is set.
func (c *clientTLS) dial(addr string) (*grpc.ClientConn, error) {
	creds, err := c.credentials()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, usagef("--addr %q: %v", addr, err)
	}
	return conn, nil
}

// callError turns a gRPC status into a command error; InvalidArgument is
// the user's mistake (exit 2). A refusal says how the server allows the
// call.
func callError(what string, err error) error {
	st := status.Convert(err)
	err = fmt.Errorf("%s: %s: %s%s", what, st.Code(), st.Message(), allowHint(what, st.Code()))
	if st.Code() == codes.InvalidArgument {
		return usageError{err}
	}
	return err
}

// allowHint tells, for a PermissionDenied, which server flag lets the
// caller in: --auditors for the audit trail (replay reads it too),
// --policy-authors for explanations.
func allowHint(what string, code codes.Code) string {
	if code != codes.PermissionDenied {
		return ""
	}
	flag := "--auditors"
	if what == "check" {
		flag = "--policy-authors (explanations)"
	}
	return fmt.Sprintf(" (to allow it, start the server with this caller id in %s, or allow it in the system policy data.system.authz)", flag)
}

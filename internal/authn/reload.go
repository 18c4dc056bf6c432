package authn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// TLSFiles names the PEM files of the listeners.
type TLSFiles struct {
	Cert, Key string
	ClientCA  string // optional: then no client certificates are asked for
}

// Reloader serves the certificate and client CA of TLSFiles and reloads
// them when a file changes: at most every CheckEvery, a handshake looks at
// the files' size and modification time. A change that does not load keeps
// the last good material (and is logged). No goroutine is started.
type Reloader struct {
	files      TLSFiles
	checkEvery time.Duration
	log        *slog.Logger

	mu      sync.Mutex
	checked time.Time
	stamp   string
	cert    *tls.Certificate
	pool    *x509.CertPool
}

// NewReloader loads files once; an error here is a configuration error.
// checkEvery <= 0 means one second.
func NewReloader(files TLSFiles, checkEvery time.Duration, log *slog.Logger) (*Reloader, error) {
	if checkEvery <= 0 {
		checkEvery = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{files: files, checkEvery: checkEvery, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	r.checked = time.Now()
	return r, nil
}

// ServerConfig returns a TLS configuration (TLS 1.2 at least) whose every
// handshake uses the current material; nextProtos are offered for ALPN.
func (r *Reloader) ServerConfig(nextProtos ...string) *tls.Config {
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		cert, pool := r.current()
		c := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos, Certificates: []tls.Certificate{*cert}}
		if pool != nil {
			c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
		return c, nil
	}
	return base
}

// current returns the material, reloading it first when a file changed.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= r.checkEvery {
		r.checked = now
		if stamp := r.fileStamp(); stamp != r.stamp {
			if err := r.loadLocked(); err != nil {
				r.log.Error("TLS files changed but do not load; keeping the previous ones", "error", err)
				r.stamp = stamp // do not retry until they change again
			} else {
				r.log.Info("TLS certificate reloaded", "cert", r.files.Cert)
			}
		}
	}
	return r.cert, r.pool
}

func (r *Reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

func (r *Reloader) loadLocked() error {
	stamp := r.fileStamp()
	cert, err := tls.LoadX509KeyPair(r.files.Cert, r.files.Key)
	if err != nil {
		return fmt.Errorf("load --tls-cert/--tls-key: %w", err)
	}
	var pool *x509.CertPool
	if r.files.ClientCA != "" {
		if pool, err = loadPool(r.files.ClientCA); err != nil {
			return err
		}
	}
	r.cert, r.pool, r.stamp = &cert, pool, stamp
	return nil
}

// fileStamp summarises size and modification time of every file.
func (r *Reloader) fileStamp() string {
	var s string
	for _, f := range []string{r.files.Cert, r.files.Key, r.files.ClientCA} {
		if f == "" {
			continue
		}
		if fi, err := os.Stat(f); err == nil {
			s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		} else {
			s += "missing;"
		}
	}
	return s
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --tls-client-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("--tls-client-ca: no PEM certificate found")
	}
	return pool, nil
}

// Package bundletest holds test helpers for bundle distribution: an OPA
// bundle server (httptest) with ETags, bundle building and signing keys.
package bundletest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server serves tarballs at /bundles/NAME.tar.gz the way an OPA bundle
// server does: an ETag per content, 304 on a matching If-None-Match.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	bundles  map[string][]byte
	down     bool
	token    string
	ok, same int // 200 and 304 answers
}

// NewServer starts a server, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{bundles: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the address of bundle name.
func (s *Server) URL(name string) string { return s.srv.URL + "/bundles/" + name + ".tar.gz" }

// Set publishes tarball as bundle name.
func (s *Server) Set(name string, tarball []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bundles[name] = tarball
}

// SetDown makes every request fail with 503 (true) or be served again.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// RequireToken makes the server answer 401 unless the request carries
// "Authorization: Bearer token".
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Counts returns how many 200 and 304 answers the server gave.
func (s *Server) Counts() (ok, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok, s.same
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/bundles/"), ".tar.gz")
	body, found := s.bundles[name]
	if !found {
		http.NotFound(w, r)
		return
	}
	etag := etagOf(body)
	w.Header().Set("ETag", etag)
	if matches(r.Header.Get("If-None-Match"), etag) {
		s.same++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.ok++
	w.Header().Set("Content-Type", "application/gzip")
	_, _ = w.Write(body)
}

func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func matches(ifNoneMatch, etag string) bool {
	for e := range strings.SplitSeq(ifNoneMatch, ",") {
		if strings.TrimSpace(e) == etag {
			return true
		}
	}
	return false
}

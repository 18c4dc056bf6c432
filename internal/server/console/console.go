// Package console is the PDP's web console, served under /ui/ on the HTTP
// port: server-rendered pages (html/template) with a little JavaScript and
// CSS embedded in the binary, for auditors (search the trail, open a
// decision and its place in the hash chain, export a search, an overview)
// and policy authors (a playground against the active bundle and a
// candidate, a replay of the trail against a candidate).
//
// The console adds no query path of its own: it reads the same AuditTrail
// as the gRPC AuditService, with the same audit.Filter and audit.Page, and
// every page is authorized by the system policy as the gRPC method whose
// data it shows.
package console

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
)

// Prefix is where the console is mounted on the HTTP port.
const Prefix = "/ui/"

// The gRPC methods whose authorization each page borrows.
const (
	MethodQuery  = "/pdp.v1.AuditService/QueryDecisions"
	MethodGet    = "/pdp.v1.AuditService/GetDecision"
	MethodVerify = "/pdp.v1.AuditService/VerifyTrail"
	// MethodCheck asked with explain true is what a policy author may do:
	// the playground and explain again.
	MethodCheck = "/pdp.v1.AuthorizationService/Check"
)

// Engine is the active bundle set the playground and explain again
// evaluate against.
type Engine interface {
	Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error)
	Revision() (string, bool)
}

// grouper is a trail that counts records in its own store (the local
// SQLite trail); other trails are counted by paging through them.
type grouper interface {
	Stats(ctx context.Context, f audit.Filter, by string) ([]audit.Group, error)
}

// checkpointLister is a trail that lists its signed checkpoints.
type checkpointLister interface {
	Checkpoints(ctx context.Context) ([]audit.Checkpoint, error)
}

// Options configure the console. Trail, Authorizer, Caller and Engine are
// required.
type Options struct {
	// Trail is the audit trail the AuditService reads.
	Trail server.AuditTrail
	// Authorizer is the system policy, asked as for the gRPC method.
	Authorizer server.Authorizer
	// Caller names the caller of a request (the client certificate over
	// TLS, local over plaintext loopback).
	Caller func(*http.Request) string
	Engine Engine
	// Bundles reports the bundle sources and their active revisions.
	Bundles func() bundle.Status
	// PublicKey is the key the server signs checkpoints with, Fingerprint
	// names a key (sha256 of its PKIX form).
	PublicKey   ed25519.PublicKey
	Fingerprint func(ed25519.PublicKey) string
	// SpikeAction is the action of the trail's deny-spike alarm records.
	SpikeAction string
	// Hosts are the Host header values a plaintext request may carry
	// besides loopback names (the --http-addr and --public-url hosts), so
	// that a page of another site cannot read the console through DNS
	// rebinding.
	Hosts []string
	// Started is when the server started (alarms raised before it may be
	// stale: the detector's state does not survive a restart).
	Started time.Time
	Logger  *slog.Logger
	Now     func() time.Time
	// FetchTimeout and MaxBundleBytes bound a candidate bundle read from
	// a URL or an upload (defaults 30s and 64 MiB).
	FetchTimeout   time.Duration
	MaxBundleBytes int64
}

// Console serves the pages.
type Console struct {
	opts  Options
	pages *pages
	chain *chainCache
	mux   *http.ServeMux
}

// New builds the console.
func New(opts Options) (*Console, error) {
	opts = opts.withDefaults()
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: opts, pages: p, chain: newChainCache(opts.Trail, opts.Now)}
	c.mux = c.routes()
	return c, nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bundles == nil {
		o.Bundles = func() bundle.Status { return bundle.Status{} }
	}
	if o.Fingerprint == nil {
		o.Fingerprint = func(ed25519.PublicKey) string { return "" }
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 30 * time.Second
	}
	if o.MaxBundleBytes <= 0 {
		o.MaxBundleBytes = 64 << 20
	}
	return o
}

// Handler is the console's handler, to mount at Prefix.
func (c *Console) Handler() http.Handler { return c.guard(c.mux) }

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/{$}", c.overview)
	mux.HandleFunc("GET /ui/decisions", c.decisions)
	mux.HandleFunc("GET /ui/decisions/{id}", c.decision)
	mux.HandleFunc("GET /ui/export", c.export)
	mux.HandleFunc("GET /ui/playground", c.playground)
	mux.HandleFunc("POST /ui/playground", c.playgroundPost)
	mux.HandleFunc("GET /ui/replay", c.replay)
	mux.HandleFunc("POST /ui/replay", c.replayPost)
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static", staticFiles()))
	mux.HandleFunc("/ui/", c.notFound)
	return mux
}

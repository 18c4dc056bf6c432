// Package app is the composition root: New builds every part of the PDP from
// a validated Config, Run serves until its context ends and then shuts down
// in order.
package app

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/config"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/plansql"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/server/authzen"
	"github.com/pdp-project/pdp/internal/server/extauthz"
	"github.com/pdp-project/pdp/internal/telemetry"
	"google.golang.org/grpc"
)

// App is a built PDP, ready to Run.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	reqLog  *slog.Logger // log on the request path: a repeated failure once per repeatInterval
	engine  *engine.Engine
	bundles *bundle.Manager
	store   *sqlite.Store
	writer  *audit.Writer
	grpc    *server.GRPC
	http    *http.Server
	grpcLis net.Listener
	httpLis net.Listener
	tls     *tls.Config
	closers []func() error
	locks   []*os.File // lock.go

	// auditPub is the public half of the checkpoint signing key (audit.go).
	auditPub ed25519.PublicKey
	// fleet ships the trail to --audit-url when set (fleet.go).
	fleet *fleet
	// remote is the shared cache when --redis-url is set (cachestatus.go).
	remote pinger
	// resources is the table of --search-db and --search-table (plan.go);
	// nil when none is configured.
	resources authzen.Resources

	obs observability // telemetry.go

	// recorder, when set, records decisions instead of the audit writer
	// (benchmarks of the rest of the request path; see export_test.go).
	recorder decision.Recorder
}

// commitLinger bounds how long a group commit waits for more decisions
// under concurrent load (audit.WriterOptions.Linger): commits then carry
// several decisions instead of 1.4 (make bench, check-cached), which costs
// less CPU per decision; a lone caller never waits.
const commitLinger = 500 * time.Microsecond

// repeatInterval is how often a failure that repeats on every request (the
// audit store down, a refused caller) is logged; the metrics carry its rate.
const repeatInterval = 10 * time.Second

// New builds the PDP from cfg, which must have passed Validate. It opens the
// audit store and both listeners; nothing is served until Run.
// A step that fails releases what the earlier ones opened.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, log: log, reqLog: telemetry.NewRepeatLimiter(repeatInterval, time.Now).Logger(log)}
	for _, o := range opts {
		o(a)
	}
	steps := []func(context.Context) error{a.lock, a.buildTelemetry, a.buildAudit, a.buildFleet, a.buildEngine, a.buildSearch, a.buildServers, a.listen}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			a.close()
			return nil, err
		}
	}
	return a, nil
}

// lock claims the data directory (lock.go) before anything is written.
func (a *App) lock(context.Context) error { return a.lockDirs() }

func (a *App) buildAudit(ctx context.Context) error {
	store, err := a.openAuditStore(ctx) // audit.go
	if err != nil {
		return err
	}
	a.store = store
	a.closers = append(a.closers, store.Close)
	a.writer = audit.NewWriter(store, audit.WriterOptions{Logger: a.reqLog, Observer: a.commitObserver(),
		Linger: commitLinger})
	a.closers = append([]func() error{a.writer.Close, a.finalCheckpoint}, a.closers...)
	return nil
}

func (a *App) buildEngine(context.Context) error {
	a.engine = engine.New(engine.Options{Entrypoint: a.cfg.Bundle.Entrypoint, Logger: a.log, System: a.systemConfig()})
	m, err := a.newBundleManager(a.observeActivator(a.engine))
	if err != nil {
		return err
	}
	a.bundles = m
	return nil
}

func (a *App) buildServers(context.Context) error {
	tokens, err := a.tokenVerifier()
	if err != nil {
		return err
	}
	eval, err := a.cachedEvaluator()
	if err != nil {
		return err
	}
	svc := decision.New(decision.Options{
		Tokens:    tokens,
		Evaluator: a.traceEvaluator(eval), Recorder: a.traceRecorder(a.decisionRecorder()), Observer: a.decisionObserver(),
		Logger: a.reqLog, MaxBatch: a.cfg.Server.MaxBatch,
		Masker: audit.NewMasker(a.engine), Targets: a.engine, Planner: a.engine,
	})
	creds, err := a.transportCredentials()
	if err != nil {
		return err
	}
	guard := httpGuard{authz: a.authorizer(), limiter: a.limiter(), log: a.reqLog}
	a.grpc = server.NewGRPC(server.GRPCOptions{Checker: svc, Planner: svc, Where: plansql.Where, Logger: a.reqLog, Creds: creds,
		Authorizer: guard.authz, Limiter: guard.limiter, StatsHandler: a.statsHandler(),
		Outer: []grpc.UnaryServerInterceptor{extauthz.FailClosed(a.reqLog)}})
	// Its request workers start now; Run stops them gracefully, this
	// releases them when a later step of New fails (a no-op after Run).
	a.closers = append(a.closers, func() error { a.grpc.Stop(); return nil })
	a.registerAudit() // audit.go
	handlers, err := a.mountMetrics(a.interop(svc, guard))
	if err != nil {
		return err
	}
	if err := a.mountConsole(handlers, guard); err != nil { // console.go
		return err
	}
	a.http = &http.Server{
		Handler:           server.NewHTTP(server.HTTPOptions{Ready: a.ready, Logger: a.log, Handlers: handlers}),
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn), // stderr stays JSON
	}
	return nil
}

func (a *App) listen(context.Context) error {
	var err error
	if a.grpcLis, err = net.Listen("tcp", a.cfg.Server.GRPCAddr); err != nil {
		return fmt.Errorf("listen --grpc-addr %s: %w", a.cfg.Server.GRPCAddr, err)
	}
	a.closers = append(a.closers, ignoreClosed(a.grpcLis.Close))
	if a.httpLis, err = net.Listen("tcp", a.cfg.Server.HTTPAddr); err != nil {
		return fmt.Errorf("listen --http-addr %s: %w", a.cfg.Server.HTTPAddr, err)
	}
	a.closers = append(a.closers, ignoreClosed(a.httpLis.Close))
	if a.tls != nil {
		a.httpLis = tls.NewListener(a.httpLis, a.tls)
	}
	return nil
}

// GRPCAddr is the address the gRPC listener is bound to.
func (a *App) GRPCAddr() string { return a.grpcLis.Addr().String() }

// HTTPAddr is the address the HTTP listener is bound to.
func (a *App) HTTPAddr() string { return a.httpLis.Addr().String() }

func (a *App) close() {
	for _, c := range a.closers {
		if err := c(); err != nil {
			a.log.Error("close", "error", err)
		}
	}
	a.closers = nil
	a.unlock()
}

func ignoreClosed(f func() error) func() error {
	return func() error {
		if err := f(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	}
}

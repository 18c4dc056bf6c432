package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	readHeaderTimeout = 10 * time.Second
	healthTick        = 250 * time.Millisecond
)

// Run serves until ctx ends, then shuts down: health NOT_SERVING, graceful
// stop of both listeners (forced after the grace period), bundle watcher
// and audit shipper stopped, audit writer flushed, a last ship to the
// fleet's database, store closed.
func (a *App) Run(ctx context.Context) error {
	runCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { a.runBundles(runCtx) })
	wg.Go(func() { a.trackHealth(runCtx) })
	wg.Go(func() { a.runAudit(runCtx) })
	wg.Go(func() { a.runShip(runCtx) }) // fleet.go
	go func() { errc <- a.grpc.Serve(a.grpcLis) }()
	go func() { errc <- serveHTTP(a.http, a.httpLis) }()
	a.log.Info("serving", "grpc_addr", a.GRPCAddr(), "http_addr", a.HTTPAddr())
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.shutdown()
	stopBackground()
	wg.Wait()
	a.close()
	a.log.Info("stopped")
	return err
}

func serveHTTP(s *http.Server, lis net.Listener) error {
	if err := s.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *App) runBundles(ctx context.Context) {
	if err := a.bundles.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Error("bundle manager stopped", "error", err)
	}
}

// trackHealth keeps the gRPC health status in step with bundle readiness.
func (a *App) trackHealth(ctx context.Context) {
	t := time.NewTicker(healthTick)
	defer t.Stop()
	serving := false
	for {
		if ready := a.bundles.Ready(); ready != serving {
			serving = ready
			a.grpc.SetServing(ready)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shutdown stops accepting work and lets in-flight requests finish, at most
// for the grace period.
func (a *App) shutdown() {
	a.grpc.Shutdown()
	grace := a.cfg.Server.ShutdownGrace
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan struct{})
	go func() {
		a.grpc.GracefulStop()
		close(done)
	}()
	if err := a.http.Shutdown(ctx); err != nil {
		a.log.Warn("http shutdown", "error", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		a.log.Warn("grace period over; closing remaining gRPC streams")
		a.grpc.Stop()
		<-done
	}
}

// recentCommitFailure is how long a failed audit commit keeps /readyz at
// 503 (while commits keep failing, it stays there; the store's own probe
// covers an idle server).
const recentCommitFailure = 10 * time.Second

// ready backs /readyz: a bundle must be active and the audit store must
// accept writes: its probe passes and no commit failed recently.
func (a *App) ready(ctx context.Context) (bool, any) {
	st := a.bundles.Status()
	auditErr := a.store.Ping(ctx)
	if f := a.writer.LastFailure(); auditErr == nil && f != nil && time.Since(f.At) < recentCommitFailure {
		auditErr = fmt.Errorf("audit commit failed %s ago: %w", time.Since(f.At).Round(time.Millisecond), f.Err)
	}
	audit := map[string]any{}
	if err := a.shipStatus(audit); auditErr == nil { // fleet.go
		auditErr = err
	}
	audit["ok"] = auditErr == nil
	if auditErr != nil {
		audit["error"] = auditErr.Error()
	}
	ok := st.Ready && auditErr == nil
	doc := map[string]any{"ready": ok, "bundles": st, "audit": audit}
	a.addCacheStatus(ctx, doc) // cachestatus.go
	return ok, doc
}

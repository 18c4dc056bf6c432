package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/ship"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/telemetry"
)

const (
	// fleetOpenWait bounds the first attempt to reach the fleet's database
	// at start; after it the replica serves and keeps trying.
	fleetOpenWait = 10 * time.Second
	// finalShipWait bounds the last shipping attempt at shutdown.
	finalShipWait = 5 * time.Second
)

// fleet is what --audit-url adds: the fleet's database and the shipper of
// this replica's chain to it.
type fleet struct {
	db      *fleetDB
	shipper *ship.Shipper
	ran     bool // Run started the shipper: shut down ships a last time
}

// buildFleet opens the fleet's database and builds the shipper when
// --audit-url is set. A database that cannot be reached at start is
// logged and tried again while the replica serves (records wait locally).
func (a *App) buildFleet(ctx context.Context) error {
	f := a.cfg.Audit.Fleet
	if f.URL == "" {
		return nil
	}
	password, err := readPassword(f.PasswordFile)
	if err != nil {
		return err
	}
	db := &fleetDB{opts: postgres.Options{URL: f.URL, Password: password, Logger: a.log}}
	openCtx, cancel := context.WithTimeout(ctx, fleetOpenWait)
	defer cancel()
	if _, err := db.store(openCtx); err != nil {
		a.log.Error("fleet audit database unreachable at start; records wait locally and are shipped once it answers",
			"instance", f.InstanceID, "error", err)
	}
	shipper, err := ship.New(ship.Options{Instance: f.InstanceID, Local: a.store, Remote: db, Logger: a.log})
	if err != nil {
		return err
	}
	a.fleet = &fleet{db: db, shipper: shipper}
	// The last ship runs after the writer has flushed and the shutdown
	// checkpoint is written, before the local store closes.
	at := min(2, len(a.closers))
	a.closers = slices.Insert(a.closers, at, a.finalShip)
	a.closers = append(a.closers, db.Close)
	return nil
}

// readPassword reads --audit-password-file (trailing line breaks dropped).
func readPassword(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--audit-password-file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// runShip ships until ctx ends (Run).
func (a *App) runShip(ctx context.Context) {
	if a.fleet == nil {
		return
	}
	a.fleet.ran = true
	_ = a.fleet.shipper.Run(ctx)
}

// finalShip ships what is left, at most for finalShipWait.
func (a *App) finalShip() error {
	if a.fleet == nil || !a.fleet.ran {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), finalShipWait)
	defer cancel()
	if err := a.fleet.shipper.Flush(ctx); err != nil {
		b := a.fleet.shipper.Backlog()
		a.log.Warn("audit records not shipped at shutdown stay in the local trail and are shipped at the next start",
			"records", b.Records, "error", err)
	}
	return nil
}

// pruneFleet drops the fleet database's days older than cutoff. Each
// replica's local retention signs, with its own key, the checkpoint where
// its chain now starts and ships it; the days go once every replica with
// records in them has done so (any replica may drop them, one at a time).
func (a *App) pruneFleet(ctx context.Context, cutoff time.Time) {
	if a.fleet == nil {
		return
	}
	pg, err := a.fleet.db.store(ctx)
	if err == nil {
		_, err = pg.DropBefore(ctx, cutoff)
	}
	switch {
	case errors.Is(err, postgres.ErrRetentionPending):
		a.log.Info("fleet audit retention waits", "reason", err)
	case err != nil:
		a.log.Error("fleet audit retention", "error", err)
	}
}

// fleetDB opens the fleet's database on first use, so that a replica
// started while it is down serves and ships later.
type fleetDB struct {
	opts postgres.Options
	mu   sync.Mutex
	pg   *postgres.Store
}

var _ ship.Remote = (*fleetDB)(nil)

func (f *fleetDB) store(ctx context.Context) (*postgres.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pg != nil {
		return f.pg, nil
	}
	pg, err := postgres.Open(ctx, f.opts)
	if err != nil {
		return nil, err
	}
	f.pg = pg
	return pg, nil
}

// Head is postgres.Store.Head once the database is open.
func (f *fleetDB) Head(ctx context.Context, instance string) (int64, string, error) {
	pg, err := f.store(ctx)
	if err != nil {
		return 0, "", err
	}
	return pg.Head(ctx, instance)
}

// Ship is postgres.Store.Ship once the database is open.
func (f *fleetDB) Ship(ctx context.Context, instance string, es []audit.Entry, cps []audit.Checkpoint) error {
	pg, err := f.store(ctx)
	if err != nil {
		return err
	}
	return pg.Ship(ctx, instance, es, cps)
}

// Close closes the database if it was opened.
func (f *fleetDB) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pg == nil {
		return nil
	}
	return f.pg.Close()
}

// fleetRecorder refuses writes while the backlog not yet shipped is over
// --audit-backlog-max and, with --audit-ship sync, answers once the fleet's
// database holds the records.
type fleetRecorder struct {
	next decision.Recorder
	ship *ship.Shipper
	head func(context.Context) (int64, error) // the local trail's head
	max  int64
	sync bool
}

func (a *App) fleetRecorder(next decision.Recorder) decision.Recorder {
	if a.fleet == nil {
		return next
	}
	f := a.cfg.Audit.Fleet
	return fleetRecorder{next: next, ship: a.fleet.shipper, head: a.store.Head, max: int64(f.BacklogMax), sync: f.Ship == "sync"}
}

var errBacklogFull = errors.New("the records not yet shipped to the fleet's audit database exceed --audit-backlog-max")

func (r fleetRecorder) Write(ctx context.Context, recs []pdp.Record) error {
	if b := r.ship.Backlog(); b.Bytes > r.max {
		return pdp.Unavailable("audit backlog full", errBacklogFull)
	}
	if err := r.next.Write(ctx, recs); err != nil || !r.sync {
		return err
	}
	head, err := r.head(ctx)
	if err == nil {
		err = r.ship.WaitShipped(ctx, head)
	}
	if err != nil {
		return pdp.Unavailable("audit records not shipped", err)
	}
	return nil
}

// shipStatus adds the backlog to /readyz's audit section; it returns an
// error while the backlog is full (Check fails closed then).
func (a *App) shipStatus(doc map[string]any) error {
	if a.fleet == nil {
		return nil
	}
	b := a.fleet.shipper.Backlog()
	doc["backlog"] = map[string]any{"records": b.Records, "oldest_age_seconds": b.Oldest.Seconds()}
	if err := a.fleet.shipper.Err(); err != nil {
		doc["ship_error"] = err.Error()
	}
	if b.Bytes > int64(a.cfg.Audit.Fleet.BacklogMax) {
		return errBacklogFull
	}
	return nil
}

// shipBacklog feeds the pdp_audit_ship_* gauges (zero when not shipping).
func (a *App) shipBacklog() telemetry.ShipBacklog {
	if a.fleet == nil {
		return telemetry.ShipBacklog{}
	}
	b := a.fleet.shipper.Backlog()
	return telemetry.ShipBacklog{Records: b.Records, Oldest: b.Oldest}
}

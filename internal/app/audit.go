package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/server"
)

// retentionTick is how often the retention loop looks for old records.
const retentionTick = time.Minute

// signingKeyFile is the key generated under --data-dir when
// --audit-signing-key is not given.
const signingKeyFile = "audit-signing-key.pem"

// openAuditStore loads (or generates) the checkpoint signing key and opens
// the store with the chain, checkpoints and export file configured.
func (a *App) openAuditStore(ctx context.Context) (*sqlite.Store, error) {
	key, err := a.signingKey()
	if err != nil {
		return nil, err
	}
	a.auditPub = key.Public().(ed25519.PublicKey)
	store, err := sqlite.Open(ctx, sqlite.Options{Path: a.cfg.Audit.DB, Sync: a.cfg.Audit.Sync,
		Signer: audit.NewSigner(key), CheckpointEvery: a.cfg.Audit.CheckpointEvery,
		ExportPath: audit.ExportPath(a.cfg.Audit.DB), Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("open audit store: %w", err)
	}
	return store, nil
}

func (a *App) signingKey() (ed25519.PrivateKey, error) {
	if a.cfg.Audit.SigningKey != "" {
		return audit.LoadKey(a.cfg.Audit.SigningKey)
	}
	path := filepath.Join(a.cfg.DataDir, signingKeyFile)
	key, created, err := audit.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	fp := KeyFingerprint(key.Public().(ed25519.PublicKey))
	if created {
		a.log.Warn("generated an audit checkpoint signing key; keep it, or pass --audit-signing-key; note its fingerprint apart from the data dir",
			"path", path, "fingerprint", fp)
	} else {
		a.log.Info("audit checkpoint signing key", "path", path, "fingerprint", fp)
	}
	return key, nil
}

// registerAudit serves the AuditService over the audit store, or over the
// fleet's database with --audit-url (fleettrail.go).
func (a *App) registerAudit() {
	server.RegisterAudit(a.grpc.Server, server.AuditOptions{Trail: a.trail(), Logger: a.log})
}

// trail is what auditors read, through the AuditService and the console:
// the fleet's trail in PostgreSQL with --audit-url, else the local one.
func (a *App) trail() server.AuditTrail {
	if a.fleet != nil {
		return fleetTrail{db: a.fleet.db, instance: a.cfg.Audit.Fleet.InstanceID, pub: a.auditPub}
	}
	return &auditTrail{Store: a.store, export: audit.ExportPath(a.cfg.Audit.DB), pub: a.auditPub}
}

// auditTrail adds verification against the exported checkpoint and the
// server's own key to the store.
type auditTrail struct {
	*sqlite.Store
	export string
	pub    ed25519.PublicKey
}

var _ server.AuditTrail = (*auditTrail)(nil)

func (t *auditTrail) Verify(ctx context.Context) (audit.Report, error) {
	exported, err := audit.ReadExport(t.export)
	if err != nil {
		return audit.Report{}, err
	}
	return audit.Verify(ctx, t.Store, audit.VerifyOptions{Exported: exported, PublicKey: t.pub})
}

// runAudit writes interval checkpoints and applies retention until ctx
// ends.
func (a *App) runAudit(ctx context.Context) {
	checkpoints, stopCP := ticker(a.cfg.Audit.CheckpointInterval)
	defer stopCP()
	var retention time.Duration
	if a.cfg.Audit.Retention > 0 {
		retention = retentionTick
		a.prune(ctx)
	}
	prunes, stopPrune := ticker(retention)
	defer stopPrune()
	for {
		select {
		case <-ctx.Done():
			return
		case <-checkpoints:
			a.checkpoint(ctx, audit.CheckpointInterval)
		case <-prunes:
			a.prune(ctx)
		}
	}
}

// ticker ticks every d; a nil channel (never ready) when d is 0.
func ticker(d time.Duration) (<-chan time.Time, func()) {
	if d <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func (a *App) prune(ctx context.Context) {
	if a.cfg.Audit.Retention <= 0 {
		return
	}
	cutoff := time.Now().Add(-a.cfg.Audit.Retention)
	n, err := a.store.Prune(ctx, cutoff)
	if err != nil {
		a.log.Error("audit retention", "error", err)
	} else if n > 0 {
		a.log.Info("audit retention removed old records", "records", n, "retention", a.cfg.Audit.Retention.String())
	}
	a.pruneFleet(ctx, cutoff)
}

func (a *App) checkpoint(ctx context.Context, kind string) {
	cp, wrote, err := a.store.Checkpoint(ctx, kind)
	if err != nil {
		a.log.Error("audit checkpoint", "kind", kind, "error", err)
	} else if wrote {
		a.log.Info("audit checkpoint", "kind", kind, "seq", cp.Seq, "hash", cp.Hash)
	}
}

// finalCheckpoint runs after the writer has flushed, before the store
// closes: a clean shutdown leaves a signed checkpoint at the head, exported
// beside the database.
func (a *App) finalCheckpoint() error {
	a.checkpoint(context.Background(), audit.CheckpointShutdown)
	return nil
}

// decisionRecorder is where Check records its decisions: the audit writer,
// behind the fleet's backlog bound when shipping, or the recorder a
// benchmark gave.
func (a *App) decisionRecorder() decision.Recorder {
	if a.recorder != nil {
		return a.recorder
	}
	return a.fleetRecorder(a.writer)
}

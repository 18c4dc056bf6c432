package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/telemetry"
)

// ActionDenySpike is the action of the audit records that note a deny-spike
// alarm; their reasons are deny_spike_raised or deny_spike_subsided.
const ActionDenySpike = "pdp.deny_spike"

// denySpike raises or clears one alarm: one structured log line, the
// pdp_deny_spike gauge, and a record in the audit trail.
func (a *App) denySpike(ctx context.Context, s telemetry.Spike, revision string) {
	a.obs.metrics.SetDenySpike(s.Scope, s.Key, s.Raised)
	attrs := []any{"scope", s.Scope, "key", s.Key, "denies", s.Denies, "total", s.Total,
		"ratio", s.Ratio, "baseline", s.Baseline, "trace_id", telemetry.TraceID(ctx)}
	if s.Raised {
		a.log.Warn("deny spike", attrs...)
	} else {
		a.log.Info("deny spike subsided", attrs...)
	}
	rec, err := spikeRecord(s, revision, telemetry.TraceID(ctx))
	if err == nil {
		err = a.writer.Write(context.WithoutCancel(ctx), []pdp.Record{rec})
	}
	if err != nil {
		a.log.Error("audit deny spike", "scope", s.Scope, "key", s.Key, "trace_id", telemetry.TraceID(ctx), "error", err)
	}
}

// spikeRecord is the audit record of an alarm event: the key in the caller
// or subject column of its scope, the counts as obligations.
func spikeRecord(s telemetry.Spike, revision, traceID string) (pdp.Record, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return pdp.Record{}, err
	}
	reason := "deny_spike_subsided"
	if s.Raised {
		reason = "deny_spike_raised"
	}
	rec := pdp.Record{DecisionID: id.String(), Time: s.Time.UTC(), Action: ActionDenySpike,
		ResourceType: "deny_spike", ResourceID: s.Scope + ":" + s.Key, Reasons: []string{reason},
		Obligations: map[string]any{"scope": s.Scope, "key": s.Key, "denies": s.Denies, "total": s.Total,
			"ratio": s.Ratio, "baseline": s.Baseline},
		// no policy entrypoint has this name: replay skips the event
		Input: map[string]any{}, BundleRevision: revision, Entrypoint: ActionDenySpike, TraceID: traceID}
	if s.Scope == telemetry.ScopeCaller {
		rec.Caller = s.Key
	} else {
		rec.SubjectID = s.Key
	}
	return rec, nil
}

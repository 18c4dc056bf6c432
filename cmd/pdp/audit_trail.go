package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/server"
)

// trail is what the audit commands read: a database file or a server.
type trail interface {
	query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error)
	get(ctx context.Context, decisionID string) (audit.Entry, error)
	verify(ctx context.Context) (audit.Report, error)
	tail(ctx context.Context, after int64, fn func(audit.Entry) error) error
	close() error
}

var (
	_ trail = (*localTrail)(nil)
	_ trail = (*remoteTrail)(nil)
)

// tailPoll is how often a local tail looks for new records.
const tailPoll = 200 * time.Millisecond

type localTrail struct {
	store  *sqlite.Store
	export string
	pub    ed25519.PublicKey
}

func openLocalTrail(ctx context.Context, path string) (*localTrail, error) {
	store, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	return &localTrail{store: store, export: audit.ExportPath(path)}, nil
}

func (t *localTrail) query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	return t.store.Query(ctx, f, p)
}

func (t *localTrail) get(ctx context.Context, id string) (audit.Entry, error) {
	return t.store.GetEntry(ctx, id)
}

func (t *localTrail) verify(ctx context.Context) (audit.Report, error) {
	exported, err := audit.ReadExport(t.export)
	if err != nil {
		return audit.Report{}, err
	}
	if err := t.checkKeys(ctx, exported); err != nil {
		return audit.Report{}, err
	}
	return audit.Verify(ctx, t.store, audit.VerifyOptions{Exported: exported, PublicKey: t.pub})
}

// checkKeys reports a checkpoint signed by a key other than the trusted
// one (--public-key) by the fingerprints of both: the key given may simply
// not be the trail's.
func (t *localTrail) checkKeys(ctx context.Context, exported *audit.Checkpoint) error {
	if t.pub == nil {
		return nil
	}
	cps, err := t.store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	if exported != nil {
		cps = append(cps, *exported)
	}
	for _, cp := range cps {
		pub, err := base64.StdEncoding.DecodeString(cp.PublicKey)
		if err == nil && len(pub) == ed25519.PublicKeySize && !t.pub.Equal(ed25519.PublicKey(pub)) {
			return fmt.Errorf("the %s checkpoint at seq %d is signed by another key (fingerprint %s, expected %s from --public-key): "+
				"give the public key of the server that wrote this trail", cp.Kind, cp.Seq, app.KeyFingerprint(pub), app.KeyFingerprint(t.pub))
		}
	}
	return nil
}

func (t *localTrail) tail(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	var err error
	if after <= 0 {
		if after, err = t.store.Head(ctx); err != nil {
			return err
		}
	}
	for {
		entries, err := t.store.After(ctx, after, audit.DefaultPageSize)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(entries) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(tailPoll):
			}
		}
	}
}

func (t *localTrail) close() error { return t.store.Close() }

type remoteTrail struct {
	conn    *grpc.ClientConn
	client  pdpv1.AuditServiceClient
	timeout time.Duration
}

func dialTrail(ct *clientTLS, addr string, timeout time.Duration) (*remoteTrail, error) {
	conn, err := ct.dial(addr)
	if err != nil {
		return nil, err
	}
	return &remoteTrail{conn: conn, client: pdpv1.NewAuditServiceClient(conn), timeout: timeout}, nil
}

func (t *remoteTrail) query(ctx context.Context, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	resp, err := t.client.QueryDecisions(ctx, queryToProto(f, p))
	if err != nil {
		return nil, "", callError("audit query", err)
	}
	out := make([]audit.Entry, len(resp.GetRecords()))
	for i, r := range resp.GetRecords() {
		out[i] = server.RecordFromProto(r)
	}
	return out, resp.GetNextPageToken(), nil
}

func queryToProto(f audit.Filter, p audit.Page) *pdpv1.QueryDecisionsRequest {
	req := &pdpv1.QueryDecisionsRequest{SubjectType: f.SubjectType, SubjectId: f.SubjectID,
		ResourceType: f.ResourceType, ResourceId: f.ResourceID, Action: f.Action, Allow: f.Allow,
		Caller: f.Caller, BundleRevision: f.BundleRevision, DecisionId: f.DecisionID,
		Reason: f.Reason, Entrypoint: f.Entrypoint, Error: f.Error, TraceId: f.TraceID,
		PageSize: int32(p.Size), PageToken: p.Token}
	if !f.Since.IsZero() {
		req.Since = timestamppb.New(f.Since)
	}
	if !f.Until.IsZero() {
		req.Until = timestamppb.New(f.Until)
	}
	return req
}

func (t *remoteTrail) get(ctx context.Context, id string) (audit.Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	resp, err := t.client.GetDecision(ctx, &pdpv1.GetDecisionRequest{DecisionId: id})
	if err != nil {
		return audit.Entry{}, callError("audit show", err)
	}
	return server.RecordFromProto(resp.GetRecord()), nil
}

func (t *remoteTrail) verify(ctx context.Context) (audit.Report, error) {
	resp, err := t.client.VerifyTrail(ctx, &pdpv1.VerifyTrailRequest{})
	if err != nil {
		return audit.Report{}, callError("audit verify", err)
	}
	rep := audit.Report{Records: resp.GetRecords(), Checkpoints: int(resp.GetCheckpoints()),
		FirstSeq: resp.GetFirstSeq(), LastSeq: resp.GetLastSeq()}
	if !resp.GetOk() {
		rep.Break = &audit.Break{Seq: resp.GetBreakSeq(), DecisionID: resp.GetBreakDecisionId(), Reason: resp.GetBreakReason()}
	}
	return rep, nil
}

func (t *remoteTrail) tail(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	stream, err := t.client.TailDecisions(ctx, &pdpv1.TailDecisionsRequest{AfterSeq: after})
	if err != nil {
		return callError("audit tail", err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return callError("audit tail", err)
		}
		if err := fn(server.RecordFromProto(resp.GetRecord())); err != nil {
			return err
		}
	}
}

func (t *remoteTrail) close() error { return t.conn.Close() }

package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/app"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/config"
)

// fleetConfig ships to database db of pg as instance, the password from a
// file; the local caller may read the trail.
func fleetConfig(t *testing.T, pg *pgtest.Server, db, instance, mode string) func(*config.Config) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(pg.Password()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.Audit.Fleet = config.FleetConfig{URL: pg.URLWithoutPassword(db), PasswordFile: pwFile,
			InstanceID: instance, BacklogMax: 1 << 30, Ship: mode}
		c.Authz.Auditors = []string{"local"}
	}
}

// TestFleetShipsChecks: every Check of a replica started with --audit-url
// lands in PostgreSQL exactly once (at once with --audit-ship sync), its
// chain there verifies with the shutdown checkpoint, and the AuditService
// answers from PostgreSQL.
func TestFleetShipsChecks(t *testing.T) {
	for _, mode := range []string{"async", "sync"} {
		t.Run(mode, func(t *testing.T) {
			pg := pgtest.Start(t, pgtest.Options{})
			db := pg.CreateDatabase(t)
			r := startWith(t, fleetConfig(t, pg, db, "replica-"+mode, mode), nil)
			store := openFleet(t, pg.URL(db))
			ids := map[string]int{}
			for range 40 {
				resp, err := r.client.Check(context.Background(), request())
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				ids[resp.GetDecisionId()]++
				if mode == "sync" { // already committed in PostgreSQL
					if _, err := store.GetEntry(context.Background(), resp.GetDecisionId()); err != nil {
						t.Fatalf("sync: decision %s not in PostgreSQL when Check answered: %v", resp.GetDecisionId(), err)
					}
				}
			}
			checkReadyzBacklog(t, r.app.HTTPAddr())
			checkAuditService(t, r.app.GRPCAddr(), len(ids))
			r.stop(t)
			checkLandedOnce(t, store, "replica-"+mode, ids)
		})
	}
}

func openFleet(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// checkLandedOnce wants every id of ids once in instance's chain, the chain
// verified and ending in the shutdown checkpoint.
func checkLandedOnce(t *testing.T, store *postgres.Store, instance string, ids map[string]int) {
	t.Helper()
	trail := store.Trail(instance)
	landed := map[string]int{}
	if err := trail.Entries(context.Background(), 0, func(e audit.Entry) error { landed[e.DecisionID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(landed) != len(ids) {
		t.Fatalf("PostgreSQL holds %d records of %s, want %d", len(landed), instance, len(ids))
	}
	for id, n := range landed {
		if n != 1 || ids[id] != 1 {
			t.Fatalf("decision %s: %d times in PostgreSQL, answered %d times", id, n, ids[id])
		}
	}
	rep, err := audit.Verify(context.Background(), trail, audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != int64(len(ids)) {
		t.Fatalf("verify %s in PostgreSQL: %+v, %v", instance, rep, err)
	}
	cps, err := trail.Checkpoints(context.Background())
	if err != nil || len(cps) == 0 || cps[len(cps)-1].Kind != audit.CheckpointShutdown || cps[len(cps)-1].Seq != int64(len(ids)) {
		t.Fatalf("checkpoints in PostgreSQL = %+v, %v; want the shutdown checkpoint at the head", cps, err)
	}
}

// checkReadyzBacklog wants /readyz's audit.backlog and the ship gauges.
func checkReadyzBacklog(t *testing.T, addr string) {
	t.Helper()
	var doc struct {
		Audit struct {
			OK      bool `json:"ok"`
			Backlog *struct {
				Records *int64   `json:"records"`
				Oldest  *float64 `json:"oldest_age_seconds"`
			} `json:"backlog"`
		} `json:"audit"`
	}
	if err := json.Unmarshal(get(t, "http://"+addr+"/readyz"), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Audit.OK || doc.Audit.Backlog == nil || doc.Audit.Backlog.Records == nil || doc.Audit.Backlog.Oldest == nil {
		t.Fatalf("/readyz audit = %+v, want ok with backlog records and oldest_age_seconds", doc.Audit)
	}
	metrics := string(get(t, "http://"+addr+"/metrics"))
	for _, want := range []string{"\npdp_audit_ship_backlog_records ", "\npdp_audit_ship_oldest_seconds "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks a sample of %q", strings.TrimSpace(want))
		}
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAuditService queries and verifies over gRPC: the answers come from
// PostgreSQL (waiting for async shipping).
func checkAuditService(t *testing.T, addr string, want int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := pdpv1.NewAuditServiceClient(conn)
	var got int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := c.QueryDecisions(context.Background(), &pdpv1.QueryDecisionsRequest{SubjectId: "alice", PageSize: 1000})
		if err != nil {
			t.Fatalf("QueryDecisions: %v", err)
		}
		if got = len(resp.GetRecords()); got == want {
			break
		}
	}
	if got != want {
		t.Fatalf("QueryDecisions found %d records, want %d", got, want)
	}
	v, err := c.VerifyTrail(context.Background(), &pdpv1.VerifyTrailRequest{})
	if err != nil || !v.GetOk() || v.GetRecords() != int64(want) {
		t.Fatalf("VerifyTrail = %v, %v; want ok over %d records", v, err, want)
	}
}

// TestFleetBacklogFull: with PostgreSQL down, Checks are answered until the
// backlog passes --audit-backlog-max, then fail Unavailable; when
// PostgreSQL is back the backlog drains and Checks are answered again.
func TestFleetBacklogFull(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	db := pg.CreateDatabase(t)
	pg.Stop()
	cfg := fleetConfig(t, pg, db, "replica-full", "async")
	r := startWith(t, func(c *config.Config) { cfg(c); c.Audit.Fleet.BacklogMax = 16 << 10 }, nil)
	answered := 0
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); answered++ {
		if _, err = r.client.Check(context.Background(), request()); err != nil {
			break
		}
	}
	if status.Code(err) != codes.Unavailable || answered == 0 {
		t.Fatalf("after %d answered Checks: %v, want Unavailable once the backlog is full", answered, err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err = r.client.Check(context.Background(), request()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Check still fails 30s after PostgreSQL returned: %v", err)
		}
	}
	r.stop(t)
	store := openFleet(t, pg.URL(db))
	rep, err := audit.Verify(context.Background(), store.Trail("replica-full"), audit.VerifyOptions{})
	if err != nil || rep.Break != nil || rep.Records != int64(answered+1) {
		t.Fatalf("verify after draining: %+v, %v; want %d records", rep, err, answered+1)
	}
}

// TestFleetUnreachableAtStart: a replica whose fleet database does not
// answer at start serves anyway, says so in the log, shows the failure in
// /readyz, and never logs the database password.
func TestFleetUnreachableAtStart(t *testing.T) {
	cfg := launch{mutate: func(c *config.Config) {
		c.Audit.Fleet = config.FleetConfig{URL: "postgres://pdp:hunter2@127.0.0.1:1/audit?sslmode=disable",
			InstanceID: "r1", BacklogMax: 1 << 30, Ship: "async"}
	}}.config(t)
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitReady(t, &http.Client{Timeout: time.Second}, "http://"+a.HTTPAddr()+"/readyz")
	var body string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(body, "ship_error") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		body = string(get(t, "http://"+a.HTTPAddr()+"/readyz"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(body, `"ship_error"`) || !strings.Contains(logs.String(), "fleet audit database unreachable at start") {
		t.Fatalf("/readyz %s\nlog %s\nwant the failure in both", body, logs.String())
	}
	if strings.Contains(body+logs.String(), "hunter2") {
		t.Fatalf("the password is shown:\n%s\n%s", body, logs.String())
	}
}

// TestFleetSyncWaitsForPostgres: with --audit-ship sync and PostgreSQL
// down, a Check fails when its deadline passes (never an answer whose
// record is not in PostgreSQL); once PostgreSQL is back, Checks answer and
// their records are there, the earlier one too.
func TestFleetSyncWaitsForPostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	db := pg.CreateDatabase(t)
	pg.Stop()
	r := startWith(t, fleetConfig(t, pg, db, "replica-sync", "sync"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	_, err := r.client.Check(ctx, request())
	cancel()
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Fatalf("Check while PostgreSQL is down = %v, want Unavailable or DeadlineExceeded", err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := r.client.Check(ctx, request())
	if err != nil {
		t.Fatalf("Check after PostgreSQL returned: %v", err)
	}
	store := openFleet(t, pg.URL(db))
	e, err := store.GetEntry(context.Background(), resp.GetDecisionId())
	if err != nil || e.Seq != 2 {
		t.Fatalf("the answered decision in PostgreSQL: seq %d, %v; want seq 2 (after the one that timed out)", e.Seq, err)
	}
	r.stop(t)
}

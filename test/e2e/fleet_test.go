package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/postgres"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
	"github.com/pdp-project/pdp/internal/cache/redis/redistest"
)

const (
	fleetSize    = 3
	fleetWorkers = 6
	// fleetKeys distinct requests (one subject each) repeat round robin, so
	// all but the first of each are cache hits. It is prime to fleetSize,
	// so every subject is answered by every replica.
	fleetKeys = 50
	// hitWindow requests are compared between one replica alone and the
	// fleet: both should miss each key about once. A cache that is not
	// shared would miss each key once per replica, fleetSize times as often.
	hitWindow = 1000
)

// fleet phases, for errors and latencies.
const (
	phaseNormal = iota
	phaseKilled
	phasePGDown
	phaseCount
)

var phaseNames = [phaseCount]string{"normal", "replica killed", "PostgreSQL down"}

// TestFleet: three replicas share one PostgreSQL trail and one Redis
// Cluster cache under load, through a replica SIGKILLed and restarted and
// PostgreSQL stopped for 20 s. Afterwards every acknowledged decision is in
// PostgreSQL exactly once under the replica that answered it, every
// instance's chain verifies, a subject's records come from all three
// replicas, and the fleet's cache hit share is a single replica's.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet test: three replicas, PostgreSQL and a Redis Cluster for about a minute")
	}
	f := startFleet(t)
	solo := newFleetLoad(f, "solo", func(int64, int) int { return 0 })
	solo.runUntil(t, hitWindow)

	l := newFleetLoad(f, "fleet", func(n int64, try int) int { return int((n + int64(try)) % fleetSize) })
	stop := l.start(t)
	time.Sleep(8 * time.Second)
	f.killAndRestart(t, l, 1)
	time.Sleep(5 * time.Second)
	f.stopPostgres(t, l, 20*time.Second)
	time.Sleep(5 * time.Second)
	stop()
	checkCacheSpread(t, f) // before the first keys' TTL (60s) passes

	f.awaitDrained(t, 90*time.Second)
	l.report(t)
	l.checkErrors(t)
	checkExactlyOnce(t, f, solo, l)
	checkVerify(t, f)
	checkSubjectAcrossFleet(t, f, l.subject(7))
	checkHitShare(t, solo, l)
}

// fleet is the replicas and what they share.
type fleet struct {
	pg    *pgtest.Server
	redis *redistest.Cluster
	url   string   // --audit-url, with the password
	args  []string // every replica's serve flags but its data dir and instance id
	mu    sync.Mutex
	procs [fleetSize]*pdpProc
	dirs  [fleetSize]string
}

func startFleet(t *testing.T) *fleet {
	t.Helper()
	pg := pgtest.Start(t, pgtest.Options{Durable: true})
	db := pg.CreateDatabase(t)
	cluster := redistest.StartCluster(t, 3)
	bundles := bundletest.NewServer(t)
	bundles.Set("example", exampleTarball(t))
	pwFile := filepath.Join(t.TempDir(), "audit-password")
	writeFile(t, pwFile, pg.Password()+"\n")
	f := &fleet{pg: pg, redis: cluster, url: pg.URL(db), args: []string{"--bundle", bundles.URL("example"),
		"--audit-url", pg.URLWithoutPassword(db), "--audit-password-file", pwFile,
		"--redis-url", cluster.URL(), "--redis-cluster"}}
	for i := range fleetSize {
		f.dirs[i] = t.TempDir()
		f.procs[i] = f.start(t, i)
	}
	return f
}

// exampleTarball is the example bundle, built as `pdp bundle build` does.
func exampleTarball(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts := bundle.BuildOptions{Dir: filepath.Join(repoRoot(), "bundles", "example")}
	if err := bundle.Build(context.Background(), opts, &buf); err != nil {
		t.Fatalf("build the example bundle: %v", err)
	}
	return buf.Bytes()
}

func instanceID(i int) string { return fmt.Sprintf("r%d", i+1) }

// start runs replica i on its data dir and waits until it is ready.
func (f *fleet) start(t *testing.T, i int) *pdpProc {
	t.Helper()
	args := append(slices.Clone(f.args), "--data-dir", f.dirs[i], "--instance-id", instanceID(i))
	p := startPDP(t, true, args...)
	p.dataDir = f.dirs[i]
	return p
}

func (f *fleet) replica(i int) *pdpProc {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.procs[i]
}

func (f *fleet) all() []*pdpProc {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.procs[:])
}

// killAndRestart SIGKILLs replica i under load and starts it again on the
// same data dir and instance id.
func (f *fleet) killAndRestart(t *testing.T, l *fleetLoad, i int) {
	t.Helper()
	l.phase.Store(phaseKilled)
	p := f.replica(i)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.exited <- <-p.exited
	restarted := f.start(t, i)
	f.mu.Lock()
	f.procs[i] = restarted
	f.mu.Unlock()
	l.phase.Store(phaseNormal)
}

// stopPostgres stops PostgreSQL under load for d and starts it again.
func (f *fleet) stopPostgres(t *testing.T, l *fleetLoad, d time.Duration) {
	t.Helper()
	l.phase.Store(phasePGDown)
	f.pg.Stop()
	time.Sleep(d)
	f.checkBacklogGrew(t)
	if err := f.pg.Start(); err != nil {
		t.Fatalf("start PostgreSQL again: %v", err)
	}
	l.phase.Store(phaseNormal)
}

// checkBacklogGrew: with PostgreSQL down, the replicas keep answering
// from their data dirs, so their backlogs hold records.
func (f *fleet) checkBacklogGrew(t *testing.T) {
	t.Helper()
	var total int64
	var per []string
	for i, p := range f.all() {
		b := backlog(p)
		total += max(b.Records, 0)
		per = append(per, fmt.Sprintf("%s %d records, oldest %.1fs", instanceID(i), b.Records, b.Oldest))
	}
	t.Logf("ship backlog after PostgreSQL was down for 20s: %s", strings.Join(per, "; "))
	if total == 0 {
		t.Errorf("no replica has a ship backlog while PostgreSQL is down")
	}
}

// awaitDrained waits until every replica's ship backlog (/readyz) is 0.
func (f *fleet) awaitDrained(t *testing.T, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for _, p := range f.all() {
		for backlog(p).Records != 0 {
			if time.Since(start) > limit {
				t.Fatalf("%s: ship backlog %d records after %v; log tail:\n%s", p.dataDir, backlog(p).Records, limit, tail(p.log.String()))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("every replica's ship backlog was 0 %v after the load ended", time.Since(start).Round(100*time.Millisecond))
}

// shipBacklog is audit.backlog of /readyz.
type shipBacklog struct {
	Records int64   `json:"records"`
	Oldest  float64 `json:"oldest_age_seconds"`
}

// backlog is /readyz's audit.backlog (records -1 when absent).
func backlog(p *pdpProc) shipBacklog {
	var doc struct {
		Audit struct {
			Backlog *shipBacklog `json:"backlog"`
		} `json:"audit"`
	}
	_, body := p.get("/readyz")
	if err := json.Unmarshal(body, &doc); err != nil || doc.Audit.Backlog == nil {
		return shipBacklog{Records: -1}
	}
	return *doc.Audit.Backlog
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// fleetLoad sends Checks from workers and records what came back.
type fleetLoad struct {
	f      *fleet
	prefix string
	target func(n int64, try int) int // replica for request n's try-th attempt
	next   atomic.Int64
	phase  atomic.Int32

	mu        sync.Mutex
	acked     map[string]int // decision id -> replica that answered
	errs      [phaseCount][fleetSize]int
	failed    int // requests no replica answered
	latencies [phaseCount][]time.Duration
	windowHit int // cache hits among the first hitWindow requests
	windowN   int
}

func newFleetLoad(f *fleet, prefix string, target func(int64, int) int) *fleetLoad {
	return &fleetLoad{f: f, prefix: prefix, target: target, acked: map[string]int{}}
}

func (l *fleetLoad) subject(k int) string { return fmt.Sprintf("%s-user-%d", l.prefix, k) }

// runUntil sends n requests and returns.
func (l *fleetLoad) runUntil(t *testing.T, n int64) {
	t.Helper()
	var wg sync.WaitGroup
	for range fleetWorkers {
		wg.Go(func() { l.work(t, func(i int64) bool { return i >= n }) })
	}
	wg.Wait()
}

// start sends requests until the returned func is called.
func (l *fleetLoad) start(t *testing.T) (stop func()) {
	var halt atomic.Bool
	var wg sync.WaitGroup
	for range fleetWorkers {
		wg.Go(func() { l.work(t, func(int64) bool { return halt.Load() }) })
	}
	return func() { halt.Store(true); wg.Wait() }
}

func (l *fleetLoad) work(t *testing.T, done func(int64) bool) {
	for {
		n := l.next.Add(1) - 1
		if done(n) {
			return
		}
		req := cacheRequest(t, 0, fmt.Sprint(n))
		req.Subject.Id = l.subject(int(n % fleetKeys))
		l.send(n, req)
	}
}

// send tries request n on up to every replica in turn, as a client behind
// a load balancer would, and records each attempt.
func (l *fleetLoad) send(n int64, req *pdpv1.CheckRequest) {
	for try := range fleetSize {
		i := l.target(n, try)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		began := time.Now()
		resp, err := l.f.replica(i).client.Check(ctx, req)
		cancel()
		if l.record(n, i, resp, err, time.Since(began)) {
			return
		}
	}
	l.mu.Lock()
	l.failed++
	l.mu.Unlock()
}

// record notes one attempt and reports whether it was answered.
func (l *fleetLoad) record(n int64, i int, resp *pdpv1.CheckResponse, err error, took time.Duration) bool {
	ph := l.phase.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs[ph][i]++
		return false
	}
	l.acked[resp.GetDecisionId()] = i
	l.latencies[ph] = append(l.latencies[ph], took)
	if n < hitWindow {
		l.windowN++
		if resp.GetCacheHit() {
			l.windowHit++
		}
	}
	return true
}

func (l *fleetLoad) hitShare() float64 { return float64(l.windowHit) / float64(l.windowN) }

// report logs acknowledged decisions, errors and p99 per phase.
func (l *fleetLoad) report(t *testing.T) {
	t.Helper()
	t.Logf("acknowledged: %d decisions by the fleet; %d requests answered by no replica", len(l.acked), l.failed)
	for ph := range phaseCount {
		t.Logf("phase %-16s answered %6d, errors per replica r1/r2/r3 %v, p50 %v, p99 %v, max %v",
			phaseNames[ph]+":", len(l.latencies[ph]), l.errs[ph], quantile(l.latencies[ph], 0.5),
			quantile(l.latencies[ph], 0.99), quantile(l.latencies[ph], 1))
	}
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Round(10 * time.Microsecond)
}

// checkErrors: only the killed replica (r2) may fail attempts, only while
// it is down, and every request is answered by some replica.
func (l *fleetLoad) checkErrors(t *testing.T) {
	t.Helper()
	if l.failed != 0 {
		t.Errorf("%d requests were answered by no replica", l.failed)
	}
	for ph := range phaseCount {
		for i, n := range l.errs[ph] {
			if n != 0 && (ph != phaseKilled || i != 1) {
				t.Errorf("%d failed Checks on %s during phase %q", n, instanceID(i), phaseNames[ph])
			}
		}
	}
	for ph := range phaseCount {
		if len(l.latencies[ph]) == 0 {
			t.Errorf("no Check answered during phase %q: the load did not run through it", phaseNames[ph])
		}
	}
}

// checkExactlyOnce: every acknowledged decision id is in PostgreSQL once,
// under the instance that answered it; no id is there twice.
func checkExactlyOnce(t *testing.T, f *fleet, loads ...*fleetLoad) {
	t.Helper()
	rows := shippedRows(t, f.url)
	shipped, dups := 0, 0
	for _, r := range rows {
		shipped += r.count
		dups += r.count - 1
	}
	acked, missing, moved := 0, 0, 0
	for _, l := range loads {
		for id, i := range l.acked {
			acked++
			r, ok := rows[id]
			switch {
			case !ok:
				missing++
			case r.instance != instanceID(i):
				moved++
			}
		}
	}
	t.Logf("shipped: %d records in PostgreSQL for %d acknowledged decisions; duplicates: %d; missing: %d", shipped, acked, dups, missing)
	if missing != 0 || dups != 0 || moved != 0 {
		t.Errorf("%d acknowledged decisions missing, %d duplicate records, %d under another instance", missing, dups, moved)
	}
}

type shippedRow struct {
	instance string
	count    int
}

// shippedRows is every decision id in PostgreSQL with its instance and
// how many records carry it.
func shippedRows(t *testing.T, url string) map[string]shippedRow {
	t.Helper()
	ctx := ctxT(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT decision_id, min(instance_id), count(*) FROM decisions GROUP BY decision_id`)
	if err != nil {
		t.Fatalf("read decisions: %v", err)
	}
	out := map[string]shippedRow{}
	var id string
	var r shippedRow
	_, err = pgx.ForEachRow(rows, []any{&id, &r.instance, &r.count}, func() error {
		out[id] = r
		return nil
	})
	if err != nil {
		t.Fatalf("read decisions: %v", err)
	}
	return out
}

// checkVerify: `pdp audit verify --audit-url` passes and names every
// instance, and passes for each instance alone.
func checkVerify(t *testing.T, f *fleet) {
	t.Helper()
	out, code := runPDP(t, "", "audit", "verify", "--audit-url", f.url)
	if code != 0 {
		t.Fatalf("pdp audit verify --audit-url: exit %d\n%s", code, out)
	}
	for i := range fleetSize {
		if !strings.Contains(out, instanceID(i)) {
			t.Errorf("verify does not report instance %s:\n%s", instanceID(i), out)
		}
		one, code := runPDP(t, "", "audit", "verify", "--audit-url", f.url, "--instance", instanceID(i))
		if code != 0 {
			t.Errorf("pdp audit verify --instance %s: exit %d\n%s", instanceID(i), code, one)
		}
	}
	t.Logf("verify: %s", strings.Join(strings.Fields(out), " "))
}

// checkSubjectAcrossFleet: a query by subject returns records of every
// replica.
func checkSubjectAcrossFleet(t *testing.T, f *fleet, subject string) {
	t.Helper()
	store, err := postgres.Open(ctxT(t), postgres.Options{URL: f.url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seen := map[string]int{}
	page := audit.Page{Size: 500}
	for {
		rows, next, err := store.QueryRows(ctxT(t), audit.Filter{SubjectID: subject}, page)
		if err != nil {
			t.Fatalf("query subject %s: %v", subject, err)
		}
		for _, r := range rows {
			seen[r.Instance]++
		}
		if page.Token = next; next == "" {
			break
		}
	}
	t.Logf("records of subject %s per instance: %v", subject, seen)
	for i := range fleetSize {
		if seen[instanceID(i)] == 0 {
			t.Errorf("query by subject %s: no record from %s (%v)", subject, instanceID(i), seen)
		}
	}
}

// checkHitShare: over the same request mix (fleetKeys distinct requests
// round robin, hitWindow requests, fleetWorkers workers), the fleet's cache
// hit share is within fleetKeys/hitWindow (0.05) of one replica's alone.
// One replica misses each key about once (share ~0.95); a fleet whose
// replicas did not share the cache would miss each key once per replica
// (~0.85), twice the tolerance away.
func checkHitShare(t *testing.T, solo, fleet *fleetLoad) {
	t.Helper()
	tol := float64(fleetKeys) / hitWindow
	s, f := solo.hitShare(), fleet.hitShare()
	t.Logf("cache hit share over the first %d requests: one replica %.3f, fleet %.3f (tolerance %.3f)", hitWindow, s, f, tol)
	if d := f - s; d > tol || d < -tol {
		t.Errorf("fleet hit share %.3f is not within %.3f of one replica's %.3f", f, tol, s)
	}
}

// checkCacheSpread: the shared cache's keys are on every master of the
// cluster.
func checkCacheSpread(t *testing.T, f *fleet) {
	t.Helper()
	keys := f.redis.KeysPerNode(t)
	t.Logf("Redis Cluster keys per master: %v", keys)
	for i, n := range keys {
		if n <= 0 {
			t.Errorf("Redis Cluster master %d holds %d keys; want the cache spread over every master (%v)", i, n, keys)
		}
	}
}

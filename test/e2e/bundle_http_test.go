package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/bundle/bundletest"
)

// readyStatus is the part of /readyz this file reads.
type readyStatus struct {
	Ready   bool `json:"ready"`
	Bundles struct {
		Revision string `json:"revision"`
		Bundles  []struct {
			Name           string    `json:"name"`
			Source         string    `json:"source"`
			Revision       string    `json:"revision"`
			LastActivation time.Time `json:"last_activation"`
			LastError      string    `json:"last_error"`
		} `json:"bundles"`
	} `json:"bundles"`
}

func (p *pdpProc) readyz(t *testing.T) readyStatus {
	t.Helper()
	_, body := p.get("/readyz")
	var st readyStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("/readyz %q: %v", body, err)
	}
	return st
}

// TestBundleServerSwaps: under a steady load of Checks, 20 swaps between two
// revisions served over HTTP: no failed request, every answer matches the
// revision it names (v1 denies, v2 allows), in responses and audit rows.
func TestBundleServerSwaps(t *testing.T) {
	srv := bundletest.NewServer(t)
	revs := map[string][]byte{
		"v1": bundletest.Build(t, bundletest.Policy("v1", false), bundle.Signing{}),
		"v2": bundletest.Build(t, bundletest.Policy("v2", true), bundle.Signing{}),
	}
	srv.Set("authz", revs["v1"])
	p := startPDP(t, true, "--bundle", srv.URL("authz"), "--bundle-poll", "100ms")
	var failures, v2Seen atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { hammer(t, p, stop, &failures, &v2Seen) })
	}
	var lags []time.Duration
	for i := range 20 {
		rev := []string{"v2", "v1"}[i%2]
		srv.Set("authz", revs[rev])
		published := time.Now()
		waitFor(t, 30*time.Second, func() bool {
			resp, err := p.client.Check(ctxT(t), validRequest())
			return err == nil && resp.GetBundleRevision() == rev
		})
		lags = append(lags, time.Since(published))
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d requests failed or answered inconsistently during 20 swaps", n)
	}
	slices.Sort(lags)
	t.Logf("new bundle on the server -> first decision under it (poll 100ms): min %v, median %v, max %v",
		lags[0], lags[len(lags)/2], lags[len(lags)-1])
	checkAuditRevisions(t, p)
}

// checkAuditRevisions: every audit row's decision matches its revision.
func checkAuditRevisions(t *testing.T, p *pdpProc) {
	t.Helper()
	rows, err := p.auditDB(t).Query(`SELECT bundle_revision, allow, count(*) FROM decisions GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	total := 0
	defer func() { t.Logf("%d audited decisions during the swaps", total) }()
	for rows.Next() {
		var rev string
		var allow bool
		var n int
		if err := rows.Scan(&rev, &allow, &n); err != nil {
			t.Fatal(err)
		}
		total += n
		if (rev == "v2") != allow {
			t.Errorf("%d audit rows at revision %q with allow=%v", n, rev, allow)
		}
	}
}

// TestBundleSignedServerAndPersistence: a bundle built and signed by `pdp
// bundle build` verifies in the PDP; a file added after signing is rejected
// with the old revision serving and the cause in /readyz; with the server
// down, a restart serves the persisted copy.
func TestBundleSignedServerAndPersistence(t *testing.T) {
	priv, pub := bundletest.KeyPair(t)
	dir := bundletest.WriteDir(t, bundletest.Policy("r1", false))
	writeFile(t, filepath.Join(dir, "authz", "x.decisions.yaml"), "cases: []\n")
	tarball := filepath.Join(t.TempDir(), "authz.tar.gz")
	if out, code := runPDP(t, "", "bundle", "build", dir, "-o", tarball, "--revision", "r2", "--signing-key", priv); code != 0 {
		t.Fatalf("pdp bundle build: exit %d\n%s", code, out)
	}
	if out, code := runPDP(t, "", "bundle", "inspect", tarball, "--verification-key", pub); code != 0 ||
		!strings.Contains(out, "revision:  r2") || !strings.Contains(out, "signature: valid") || strings.Contains(out, "decisions.yaml") {
		t.Fatalf("pdp bundle inspect: exit %d\n%s", code, out)
	}
	signed, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	srv := bundletest.NewServer(t)
	srv.Set("authz", signed)
	dataDir := t.TempDir()
	args := []string{"--bundle", srv.URL("authz"), "--bundle-poll", "100ms", "--bundle-verification-key", pub, "--data-dir", dataDir}
	p := startPDP(t, true, args...)
	if st := p.readyz(t); st.Bundles.Revision != "r2" || st.Bundles.Bundles[0].Source != srv.URL("authz") {
		t.Fatalf("/readyz = %+v", st)
	}

	files := bundletest.Untar(t, signed)
	files["authz/extra.rego"] = "package authz\n\nextra := true\n"
	srv.Set("authz", bundletest.Tarball(t, files))
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(p.readyz(t).Bundles.Bundles[0].LastError, "extra.rego") })
	if resp, err := p.client.Check(ctxT(t), validRequest()); err != nil || resp.GetBundleRevision() != "r2" {
		t.Fatalf("after a tampered bundle: %v, %v; want r2 serving", resp, err)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}

	srv.SetDown(true)
	p2 := startPDP(t, true, args...)
	st := p2.readyz(t)
	if st.Bundles.Revision != "r2" || !strings.Contains(st.Bundles.Bundles[0].LastError, "persisted") {
		t.Fatalf("restart with the server down: /readyz = %+v, want r2 from the persisted copy", st)
	}
}

package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server/console"
)

const (
	exampleBundle = "../../../bundles/example"
	candidateDir  = "testdata/candidate"
	spikeAction   = "pdp.deny_spike"
)

// Callers of the fixture's system policy: what each may call.
var grants = map[string][]string{
	"auditor": {console.MethodQuery, console.MethodGet, console.MethodVerify},
	"author":  {console.MethodCheck + "+explain"},
	"both":    {console.MethodQuery, console.MethodGet, console.MethodVerify, console.MethodCheck + "+explain"},
	"reader":  {console.MethodQuery, console.MethodGet}, // an auditor the policy does not let verify
}

// policy is a system policy from grants.
type policy struct{}

func (policy) Authorize(_ context.Context, method, caller string, explain bool) error {
	want := method
	if explain {
		want += "+explain"
	}
	for _, m := range grants[caller] {
		if m == want {
			return nil
		}
	}
	return pdp.Errorf(pdp.CodePermissionDenied, "caller %q may not call %s", caller, method)
}

// trail is the local store with verification, as the server serves it.
type trail struct {
	*sqlite.Store
	pub ed25519.PublicKey
}

func (t trail) Verify(ctx context.Context) (audit.Report, error) {
	return audit.Verify(ctx, t.Store, audit.VerifyOptions{PublicKey: t.pub})
}

// fixture is a console over a real SQLite trail holding decisions the
// example bundle made, and the example bundle active.
type fixture struct {
	t       *testing.T
	store   *sqlite.Store
	recs    []pdp.Record
	handler http.Handler
	now     time.Time
}

// newFixture records n decisions (plus, when n > 0, one masked decision
// and one deny-spike alarm) and signs a checkpoint after the first n-2 of
// them.
func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db"), Signer: audit.NewSigner(key)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := authoring.Open(ctx, exampleBundle)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: store, now: time.Now().UTC()}
	f.record(eng, n)
	c, err := console.New(console.Options{Trail: trail{store, pub}, Authorizer: policy{}, Engine: eng,
		Caller: func(r *http.Request) string { return r.Header.Get("X-Caller") }, PublicKey: pub,
		Fingerprint: func(k ed25519.PublicKey) string { return fmt.Sprintf("key:%x", k[:4]) }, SpikeAction: spikeAction,
		Started: f.now.Add(-time.Hour), Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = c.Handler()
	return f
}

// record appends n decisions the engine makes, a masked one and an
// alarm, with a checkpoint before the last two decisions.
func (f *fixture) record(eng *engine.Engine, n int) {
	ctx := context.Background()
	subjects, actions := []string{"alice", "bob", "carol"}, []string{"read", "delete"}
	for i := range n {
		req := pdp.Request{Subject: pdp.Subject{Type: "user", ID: subjects[i%3], Roles: []string{"viewer"}},
			Resource: pdp.Resource{Type: "document", ID: fmt.Sprintf("d%d", i%4)}, Action: pdp.Action{Name: actions[i%2]},
			Caller: "billing"}
		f.append(f.decide(eng, req, f.now.Add(-time.Duration(n-i)*time.Minute)))
		if i == n-3 {
			if _, _, err := f.store.Checkpoint(ctx, audit.CheckpointCount); err != nil {
				f.t.Fatal(err)
			}
		}
	}
	if n == 0 {
		return
	}
	masked := f.recs[0]
	masked.DecisionID, masked.Time = uuid.NewString(), f.now.Add(-30*time.Second)
	masked.Input = map[string]any{"subject": map[string]any{"id": "alice", "attributes": map[string]any{"ssn": "***"}}}
	masked.Masked = []string{"/input/subject/attributes/ssn"}
	f.append(masked)
	f.append(pdp.Record{DecisionID: uuid.NewString(), Time: f.now.Add(-10 * time.Second), Action: spikeAction,
		ResourceType: "deny_spike", ResourceID: "subject:user:bob", SubjectID: "user:bob", Reasons: []string{"deny_spike_raised"},
		Obligations: map[string]any{"scope": "subject", "key": "user:bob", "denies": 30.0, "total": 31.0, "ratio": 0.97, "baseline": 0.1},
		Input:       map[string]any{}, Entrypoint: spikeAction})
	if err := f.store.Flush(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) decide(eng *engine.Engine, req pdp.Request, at time.Time) pdp.Record {
	input := req.Input(at)
	res, err := eng.Evaluate(context.Background(), pdp.Query{Input: input})
	if err != nil {
		f.t.Fatal(err)
	}
	return pdp.Record{DecisionID: uuid.NewString(), Time: at, Caller: req.Caller, SubjectType: req.Subject.Type,
		SubjectID: req.Subject.ID, ResourceType: req.Resource.Type, ResourceID: req.Resource.ID, Action: req.Action.Name,
		Allow: res.Allow, Reasons: res.Reasons, Obligations: res.Obligations, Input: input, BundleRevision: res.BundleRevision,
		BundleDigest: res.BundleDigest, Entrypoint: res.Entrypoint, Latency: time.Millisecond, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
}

func (f *fixture) append(r pdp.Record) {
	if err := f.store.Append(context.Background(), []pdp.Record{r}); err != nil {
		f.t.Fatal(err)
	}
	f.recs = append(f.recs, r)
}

// get requests path as caller and returns the status, headers and body.
func (f *fixture) get(caller, path string, headers ...string) (int, http.Header, string) {
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:7071"+path, nil)
	return f.do(req, caller, headers...)
}

func (f *fixture) do(req *http.Request, caller string, headers ...string) (int, http.Header, string) {
	req.Header.Set("X-Caller", caller)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Result().Header, string(body)
}

// denied counts the fixture's decisions the example bundle denied, of
// action (any when "").
func (f *fixture) denied(action string) int {
	n := 0
	for _, r := range f.recs {
		if !r.Allow && r.Action != spikeAction && (action == "" || r.Action == action) {
			n++
		}
	}
	return n
}

// contains fails the test unless body holds every want.
func contains(t *testing.T, name, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: the page lacks %q\n%s", name, w, mainOf(body))
		}
	}
}

// lacks fails the test if body holds any of bad.
func lacks(t *testing.T, name, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s: the page holds %q", name, b)
		}
	}
}

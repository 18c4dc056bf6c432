package authzen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"
	"go.uber.org/goleak"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Subject ids of the Todo scenario.
const (
	rick  = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"
	morty = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"
	beth  = "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"
)

// fixture is the AuthZEN API over the real decision service, engine and
// audit writer (in-memory store), serving one of the conformance bundles.
type fixture struct {
	srv    *httptest.Server
	mem    *audittest.Memory
	eng    *engine.Engine
	bundle *opabundle.Bundle
}

func newFixture(t *testing.T, bundleDir string, maxBatch int) *fixture {
	t.Helper()
	return newFixtureWith(t, bundleDir, maxBatch, nil)
}

// newFixtureWith is newFixture with options changed by opts (nil: none).
func newFixtureWith(t *testing.T, bundleDir string, maxBatch int, opts func(*Options)) *fixture {
	t.Helper()
	b, err := bundle.Load(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{})
	if _, err := eng.Activate(context.Background(), map[string]*opabundle.Bundle{"b": b}); err != nil {
		t.Fatal(err)
	}
	mem := audittest.NewMemory()
	w := audit.NewWriter(mem, audit.WriterOptions{})
	svc := decision.New(decision.Options{Evaluator: eng, Recorder: w, MaxBatch: maxBatch})
	t.Cleanup(func() { _ = w.Close() }) // after the server is closed
	o := Options{Decider: svc, PublicURL: "https://pdp.example:7071/"}
	if opts != nil {
		opts(&o)
	}
	api := New(o)
	return &fixture{srv: serve(t, api), mem: mem, eng: eng, bundle: b}
}

// serve runs api's handlers until the test ends.
func serve(t *testing.T, api *API) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range api.Handlers() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// activateRevision activates the fixture's bundle again under revision rev.
func (f *fixture) activateRevision(t *testing.T, rev string) {
	t.Helper()
	f.bundle.Manifest.Revision = rev
	if _, err := f.eng.Activate(context.Background(), map[string]*opabundle.Bundle{"b": f.bundle}); err != nil {
		t.Fatal(err)
	}
}

const (
	todoBundle   = "../../../bundles/authzen-todo"
	searchBundle = "../../../bundles/authzen-search"
)

// decisionIDs removes context.decision_id from the answer of an evaluation
// or from every answer of a batch (and context when nothing else is left)
// and returns them in order; a decided answer without one fails the test.
// What remains is stable across runs.
func decisionIDs(t *testing.T, body map[string]any) []string {
	t.Helper()
	answers := []any{body}
	if list, ok := body["evaluations"].([]any); ok {
		answers = list
	}
	var ids []string
	for i, a := range answers {
		m, _ := a.(map[string]any)
		ctx, _ := m["context"].(map[string]any)
		id, _ := ctx["decision_id"].(string)
		if id == "" && ctx["error"] == nil {
			t.Fatalf("answer %d %v has no context.decision_id", i, m)
		}
		if id != "" {
			ids = append(ids, id)
		}
		delete(ctx, "decision_id")
		if ctx != nil && len(ctx) == 0 {
			delete(m, "context")
		}
	}
	return ids
}

// post sends body to path and returns the status, the decoded JSON body and
// the response headers.
func (f *fixture) post(t *testing.T, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, out, resp.Header
}

func (f *fixture) records() []pdp.Record { return f.mem.Records() }

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

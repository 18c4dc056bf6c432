package decision_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	pdpbundle "github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

const policy = `package authz

decision := {"allow": true, "reasons": ["admin"]} if "admin" in input.subject.roles

decision := {"allow": false, "reasons": ["not_admin"]} if not "admin" in input.subject.roles

decision := {"allow": false, "reasons": ["crash"]} if input.action.name == "crash"
`

type fixture struct {
	svc   *decision.Service
	store *sqlite.Store
}

// newFixture builds the use case on the real engine and a real SQLite store.
func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	write(t, filepath.Join(dir, ".manifest"), `{"revision": "r1", "roots": ["authz"]}`)
	write(t, filepath.Join(dir, "authz.rego"), policy)
	b, err := pdpbundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{})
	if _, err := eng.Activate(context.Background(), map[string]*bundle.Bundle{"b": b}); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	w := audit.NewWriter(store, audit.WriterOptions{})
	t.Cleanup(func() { w.Close(); store.Close() })
	return fixture{svc: decision.New(decision.Options{Evaluator: eng, Recorder: w, MaxBatch: 3}), store: store}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func req(roles ...string) pdp.Request {
	return pdp.Request{
		Subject:  pdp.Subject{Type: "user", ID: "alice", Roles: roles},
		Resource: pdp.Resource{Type: "doc", ID: "d1"},
		Action:   pdp.Action{Name: "read"},
		Caller:   "svc-a",
	}
}

func TestCheckRecordsTheDecision(t *testing.T) {
	tests := []struct {
		name   string
		req    pdp.Request
		allow  bool
		reason string
	}{
		{"allow", req("admin"), true, "admin"},
		{"deny", req("viewer"), false, "not_admin"},
	}
	f := newFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := f.svc.Check(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allow || len(d.Reasons) != 1 || d.Reasons[0] != tc.reason || d.BundleRevision != "r1" {
				t.Fatalf("decision %+v", d)
			}
			rec, err := f.store.Get(context.Background(), d.ID)
			if err != nil {
				t.Fatalf("decision %s not recorded: %v", d.ID, err)
			}
			if rec.Allow != tc.allow || rec.Caller != "svc-a" || rec.SubjectID != "alice" || rec.Entrypoint != "authz/decision" {
				t.Errorf("record %+v", rec)
			}
		})
	}
}

func TestInvalidRequestIsNotRecorded(t *testing.T) {
	f := newFixture(t)
	bad := req("admin")
	bad.Action.Name = ""
	_, err := f.svc.CheckBatch(context.Background(), []pdp.Request{req(), bad})
	if pdp.ErrorCode(err) != pdp.CodeInvalidArgument || err.Error() != "checks[1].action.name: is required" {
		t.Fatalf("got %v", err)
	}
	_, err = f.svc.CheckBatch(context.Background(), []pdp.Request{req(), req(), req(), req()})
	if pdp.ErrorCode(err) != pdp.CodeInvalidArgument {
		t.Fatalf("oversized batch: %v", err)
	}
}

func TestEvaluationErrorIsAuditedDeny(t *testing.T) {
	f := newFixture(t)
	r := req("admin")
	r.Action.Name = "crash"
	d, err := f.svc.Check(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Reasons[0] != pdp.ReasonEvaluationError {
		t.Fatalf("decision %+v", d)
	}
	rec, err := f.store.Get(context.Background(), d.ID)
	if err != nil || rec.Error == "" || rec.Allow {
		t.Fatalf("record %+v, %v: want a deny with the error", rec, err)
	}
}

func TestBatchRecordsEveryItem(t *testing.T) {
	f := newFixture(t)
	ds, err := f.svc.CheckBatch(context.Background(), []pdp.Request{req("admin"), req(), req("admin")})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		rec, err := f.store.Get(context.Background(), d.ID)
		if err != nil || rec.Allow != d.Allow {
			t.Errorf("item %d: record %+v, %v", i, rec, err)
		}
	}
	if !ds[0].Allow || ds[1].Allow || !ds[2].Allow {
		t.Errorf("results out of order: %v %v %v", ds[0].Allow, ds[1].Allow, ds[2].Allow)
	}
}

package decision_test

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	pdpbundle "github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

const (
	ssn = "SSN-LEAK-333"
	// conflictPolicy fails with a conflict that quotes every attribute.
	conflictPolicy = `package authz

conflict := x if {
	some x in input.subject.attributes
}
`
)

// maskFixture is the use case on the real engine, masker and store, with a
// mask rule and one logger for the engine and the service.
func maskFixture(t *testing.T, maskRule string) (fixture, *bytes.Buffer) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	write(t, filepath.Join(dir, ".manifest"),
		`{"revision": "r1", "roots": ["authz", "system"], "metadata": {"entrypoint": "authz/conflict"}}`)
	write(t, filepath.Join(dir, "authz.rego"), conflictPolicy)
	write(t, filepath.Join(dir, "system", "log", "mask.rego"), "package system.log\n\n"+maskRule)
	b, err := pdpbundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng := engine.New(engine.Options{Logger: log})
	if _, err := eng.Activate(context.Background(), map[string]*bundle.Bundle{"b": b}); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	w := audit.NewWriter(store, audit.WriterOptions{})
	t.Cleanup(func() { w.Close(); store.Close() })
	svc := decision.New(decision.Options{Evaluator: eng, Recorder: w, Logger: log, Masker: audit.NewMasker(eng)})
	return fixture{svc: svc, store: store}, &logs
}

// TestMaskedValuesLeaveNoTrace: a masked value quoted by an evaluation error
// reaches neither the record nor the log, and the columns follow the mask.
func TestMaskedValuesLeaveNoTrace(t *testing.T) {
	tests := []struct {
		name, rule string
		wantErr    string
		wantSubj   string
	}{
		{"masked", "mask contains \"/input/subject/attributes/ssn\"\n\nmask contains \"/input/subject/id\"\n",
			"<masked>", ""},
		{"mask rule failed", "mask := [\"/input/a\"] if input.input.action.name\n\nmask := [\"/input/b\"] if input.input.action.name\n",
			"eval_conflict_error: details erased", "alice"},
		{"subject upserted", "mask contains {\"op\": \"upsert\", \"path\": \"/input/subject\", \"value\": {\"id\": \"anon\"}}\n",
			"<masked>", "anon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, logs := maskFixture(t, tt.rule)
			r := req()
			r.Policy, r.Subject.Attributes = "authz/conflict", map[string]any{"ssn": ssn, "dept": "eng"}
			d, err := f.svc.Check(context.Background(), r)
			if err != nil || d.Reasons[0] != pdp.ReasonEvaluationError {
				t.Fatalf("decision %+v, %v: want an evaluation error", d, err)
			}
			rec, err := f.store.Get(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(rec.Error, ssn) || !strings.Contains(rec.Error, tt.wantErr) || rec.SubjectID != tt.wantSubj {
				t.Errorf("record error %q, subject_id %q; want %q in the error, subject_id %q", rec.Error, rec.SubjectID, tt.wantErr, tt.wantSubj)
			}
			if strings.Contains(logs.String(), ssn) || !strings.Contains(logs.String(), tt.wantErr) {
				t.Errorf("log holds %s or lacks %q:\n%s", ssn, tt.wantErr, logs)
			}
			if !strings.Contains(logs.String(), "subject="+cmp.Or(tt.wantSubj, `""`)+" ") {
				t.Errorf("the debug decision line does not name the subject as recorded (%q):\n%s", tt.wantSubj, logs)
			}
		})
	}
}

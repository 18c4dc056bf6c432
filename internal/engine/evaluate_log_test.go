package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestEvaluationErrorLog: the engine logs an evaluation error's text only
// when no mask rule could have masked the values it quotes.
func TestEvaluationErrorLog(t *testing.T) {
	const secret = "SECRET-42"
	cases := []struct {
		name     string
		mask     bool
		wantText bool
	}{
		{"no mask rule", false, true},
		{"mask rule", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			e := engine.New(engine.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			bundles := map[string]*bundle.Bundle{"authz": policy(t, "r1", "authz",
				"package authz\ndecision := x if some x in input.subject.attributes\n", nil)}
			if tc.mask {
				bundles["system"] = policy(t, "s1", "system", "package system.log\nmask contains \"/input/subject/attributes\"\n", nil)
			}
			activate(t, e, bundles)
			input := map[string]any{"subject": map[string]any{"attributes": map[string]any{"a": secret, "b": "other"}}}
			res, err := e.Evaluate(context.Background(), pdp.Query{Input: input})
			if err != nil || !strings.Contains(res.Err, secret) {
				t.Fatalf("result %+v, %v: want a conflict quoting %s", res, err, secret)
			}
			out := logs.String()
			if !strings.Contains(out, "policy evaluation error") || strings.Contains(out, secret) != tc.wantText {
				t.Errorf("log (want the error text: %v):\n%s", tc.wantText, out)
			}
		})
	}
}

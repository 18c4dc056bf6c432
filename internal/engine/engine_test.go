package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestEvaluateResults(t *testing.T) {
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"results": readDir(t, "results")})
	deny := func(reason string) pdp.Result { return pdp.Deny(reason) }
	tests := []struct {
		name       string
		entrypoint string
		input      map[string]any
		want       pdp.Result
		wantErr    string // substring of Result.Err
	}{
		{name: "default allows", input: subject("alice"), want: pdp.Result{Allow: true, Reasons: []string{"checked"}}},
		{name: "default denies", input: subject("bob"), want: pdp.Result{Reasons: []string{"checked"}}},
		{name: "bool true", entrypoint: "results/bool_true", want: pdp.Result{Allow: true}},
		{name: "bool false", entrypoint: "results/bool_false", want: pdp.Result{}},
		{name: "object allow", entrypoint: "results/object_allow", want: pdp.Result{Allow: true, Reasons: []string{"admin"},
			Obligations: map[string]any{"log": true, "ttl": float64(30), "tags": []any{float64(1), "a"}}}},
		{name: "object deny", entrypoint: "results/object_deny", want: deny("not_owner")},
		{name: "base document", entrypoint: "results/data_value", want: pdp.Result{Allow: true}},
		{name: "undefined", entrypoint: "results/undefined", want: deny(pdp.ReasonUndefined)},
		{name: "string", entrypoint: "results/string_result", want: deny(pdp.ReasonInvalidResult)},
		{name: "array", entrypoint: "results/array_result", want: deny(pdp.ReasonInvalidResult)},
		{name: "object without allow", entrypoint: "results/no_allow", want: deny(pdp.ReasonInvalidResult)},
		{name: "allow yes", entrypoint: "results/allow_yes", want: deny(pdp.ReasonInvalidResult)},
		{name: "reasons not strings", entrypoint: "results/reasons_not_strings", want: deny(pdp.ReasonInvalidResult)},
		{name: "reasons not array", entrypoint: "results/reasons_not_array", want: deny(pdp.ReasonInvalidResult)},
		{name: "reasons null", entrypoint: "results/reasons_null", want: deny(pdp.ReasonInvalidResult)},
		{name: "obligations not object", entrypoint: "results/obligations_not_object", want: deny(pdp.ReasonInvalidResult)},
		{name: "function conflict", entrypoint: "results/fn_conflict", input: map[string]any{"n": 5},
			want: deny(pdp.ReasonEvaluationError), wantErr: "eval_conflict_error: function data.results.f"},
		{name: "function single output", entrypoint: "results/fn_conflict", input: map[string]any{"n": 1},
			want: pdp.Result{Allow: true}},
		{name: "object key conflict", entrypoint: "results/key_conflict", input: map[string]any{"a": "k", "b": "k"},
			want: deny(pdp.ReasonEvaluationError), wantErr: "object keys must be unique"},
		{name: "complete rule conflict", entrypoint: "results/complete_conflict", input: map[string]any{"a": true, "b": true},
			want: deny(pdp.ReasonEvaluationError), wantErr: "eval_conflict_error: rule data.results.complete_conflict"},
		{name: "builtin error is undefined, as in OPA", entrypoint: "results/builtin_error", input: map[string]any{"word": "abc"},
			want: deny(pdp.ReasonUndefined)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Evaluate(context.Background(), pdp.Query{Entrypoint: tt.entrypoint, Input: tt.input})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if (got.Err == "") != (tt.wantErr == "") || !strings.Contains(got.Err, tt.wantErr) {
				t.Errorf("Err = %q, want one containing %q", got.Err, tt.wantErr)
			}
			wantEntrypoint := tt.entrypoint
			if wantEntrypoint == "" {
				wantEntrypoint = "results/decision"
			}
			if got.BundleRevision != "results-1" || got.Entrypoint != wantEntrypoint {
				t.Errorf("revision, entrypoint = %q, %q; want results-1, %q", got.BundleRevision, got.Entrypoint, wantEntrypoint)
			}
			if len(got.BundleDigest) != 64 {
				t.Errorf("bundle digest %q, want 64 hex digits", got.BundleDigest)
			}
			got.Err, got.BundleRevision, got.BundleDigest, got.Entrypoint = "", "", "", ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Evaluate = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("no bundle", func(t *testing.T) {
		_, err := engine.New(engine.Options{}).Evaluate(ctx, pdp.Query{Input: subject("alice")})
		if pdp.ErrorCode(err) != pdp.CodeUnavailable {
			t.Fatalf("err = %v, want code unavailable", err)
		}
	})
	e := engine.New(engine.Options{})
	activate(t, e, map[string]*bundle.Bundle{"results": readDir(t, "results")})
	t.Run("unknown entrypoint", func(t *testing.T) {
		_, err := e.Evaluate(ctx, pdp.Query{Entrypoint: "results/not_declared", Input: subject("alice")})
		var perr *pdp.Error
		if !errors.As(err, &perr) || perr.Code != pdp.CodeInvalidArgument || perr.Field != "policy" {
			t.Fatalf("err = %v, want invalid_argument on field policy", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := e.Evaluate(cctx, pdp.Query{Input: subject("alice")})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("deadline stops a long evaluation", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		begin := time.Now()
		_, err := e.Evaluate(dctx, pdp.Query{Entrypoint: "results/slow"})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(begin) > 5*time.Second {
			t.Fatalf("err = %v after %v, want context.DeadlineExceeded soon", err, time.Since(begin))
		}
	})
}

func TestEntrypointSelection(t *testing.T) {
	tests := []struct {
		name     string
		override string
		want     string
		allow    bool
	}{
		{name: "manifest entrypoint", want: "results/decision", allow: true},
		{name: "flag overrides manifest", override: "results/bool_false", want: "results/bool_false"},
		{name: "flag may name a declared extra", override: "results/bool_true", want: "results/bool_true", allow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Options{Entrypoint: tt.override})
			activate(t, e, map[string]*bundle.Bundle{"results": readDir(t, "results")})
			got, err := e.Evaluate(context.Background(), pdp.Query{Input: subject("alice")})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got.Entrypoint != tt.want || got.Allow != tt.allow {
				t.Errorf("entrypoint, allow = %q, %v; want %q, %v", got.Entrypoint, got.Allow, tt.want, tt.allow)
			}
		})
	}
	t.Run("default without manifest", func(t *testing.T) {
		e := engine.New(engine.Options{})
		activate(t, e, map[string]*bundle.Bundle{"x": allowIf(t, "1", "alice")})
		got, err := e.Evaluate(context.Background(), pdp.Query{Input: subject("alice")})
		if err != nil || got.Entrypoint != pdp.DefaultEntrypoint || !got.Allow {
			t.Fatalf("Evaluate = %+v, %v; want allow at %s", got, err, pdp.DefaultEntrypoint)
		}
	})
}

func TestRevision(t *testing.T) {
	e := engine.New(engine.Options{})
	if rev, ok := e.Revision(); ok || rev != "" {
		t.Fatalf("Revision before activation = %q, %v", rev, ok)
	}
	system := policy(t, "s7", "system", "package system.authz\nallow := true\n", nil)
	tests := []struct {
		name    string
		bundles map[string]*bundle.Bundle
		want    string
	}{
		{name: "one bundle", bundles: map[string]*bundle.Bundle{"zeta": allowIf(t, "v1", "a")}, want: "v1"},
		{name: "several in name order", bundles: map[string]*bundle.Bundle{"zeta": allowIf(t, "v2", "a"), "sys": system},
			want: "sys:s7,zeta:v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := activate(t, e, tt.bundles); got != tt.want {
				t.Errorf("Activate = %q, want %q", got, tt.want)
			}
			if got, ok := e.Revision(); !ok || got != tt.want {
				t.Errorf("Revision = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// TestTarget resolves an entrypoint as Evaluate would, without evaluating.
func TestTarget(t *testing.T) {
	e := engine.New(engine.Options{})
	if _, _, err := e.Target(""); pdp.ErrorCode(err) != pdp.CodeUnavailable {
		t.Fatalf("Target before activation: %v, want Unavailable", err)
	}
	activate(t, e, map[string]*bundle.Bundle{"b": allowIf(t, "v3", "a")})
	tests := []struct {
		entrypoint, wantEP string
		code               pdp.Code // "" for no error
	}{
		{"", "authz/decision", ""},
		{"authz/decision", "authz/decision", ""},
		{"authz/other", "", pdp.CodeInvalidArgument},
	}
	for _, tt := range tests {
		rev, ep, err := e.Target(tt.entrypoint)
		if tt.code != "" {
			if pdp.ErrorCode(err) != tt.code {
				t.Errorf("Target(%q) error = %v, want %q", tt.entrypoint, err, tt.code)
			}
			continue
		}
		if err != nil || rev != "v3" || ep != tt.wantEP {
			t.Errorf("Target(%q) = %q, %q, %v; want v3, %q", tt.entrypoint, rev, ep, err, tt.wantEP)
		}
	}
}

func TestActivateFailureKeepsOldSet(t *testing.T) {
	ctx := context.Background()
	meta := func(kv ...any) map[string]any { return map[string]any{kv[0].(string): kv[1]} }
	tests := []struct {
		name     string
		override string
		bundles  func(t *testing.T) map[string]*bundle.Bundle
		errText  string
	}{
		{name: "no bundles", bundles: func(*testing.T) map[string]*bundle.Bundle { return nil }, errText: "no bundles"},
		{name: "compile error", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"x": policy(t, "bad", "authz", "package authz\ndecision := nope(1)\n", nil)}
		}, errText: "nope"},
		{name: "overlapping roots", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"a": allowIf(t, "a", "x"), "b": allowIf(t, "b", "y")}
		}, errText: "overlap"},
		{name: "manifest entrypoint undefined", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"x": policy(t, "bad", "authz", "package authz\ndecision := true\n",
				meta("entrypoint", "authz/missing"))}
		}, errText: "authz/missing"},
		{name: "flag entrypoint undefined", override: "authz/other", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"x": allowIf(t, "bad", "alice")}
		}, errText: "authz/other"},
		{name: "extra entrypoint undefined", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"x": policy(t, "bad", "authz", "package authz\ndecision := true\n",
				meta("entrypoints", []any{"authz/export"}))}
		}, errText: "authz/export"},
		{name: "entrypoints not strings", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{"x": policy(t, "bad", "authz", "package authz\ndecision := true\n",
				meta("entrypoints", "authz/decision"))}
		}, errText: "metadata.entrypoints"},
		{name: "different manifest entrypoints", bundles: func(t *testing.T) map[string]*bundle.Bundle {
			return map[string]*bundle.Bundle{
				"a": policy(t, "a", "a", "package a\nd := true\n", meta("entrypoint", "a/d")),
				"b": policy(t, "b", "b", "package b\nd := true\n", meta("entrypoint", "b/d")),
			}
		}, errText: "different entrypoints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Options{Entrypoint: tt.override})
			if tt.override != "" {
				activate(t, e, map[string]*bundle.Bundle{"x": policy(t, "good", "authz",
					"package authz\ndecision := true\nother := input.subject.id == \"alice\"\n", nil)})
			} else {
				activate(t, e, map[string]*bundle.Bundle{"x": allowIf(t, "good", "alice")})
			}
			e2 := engine.New(engine.Options{Entrypoint: tt.override})
			_, err := e2.Activate(ctx, tt.bundles(t))
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Fatalf("Activate error = %v, want one containing %q", err, tt.errText)
			}
			if _, err := e.Activate(ctx, tt.bundles(t)); err == nil {
				t.Fatal("Activate over an active set succeeded")
			}
			if rev, _ := e.Revision(); rev != "good" {
				t.Errorf("Revision after failure = %q, want good", rev)
			}
			if got, err := e.Evaluate(ctx, pdp.Query{Input: subject("alice")}); err != nil || !got.Allow || got.BundleRevision != "good" {
				t.Errorf("Evaluate after failure = %+v, %v; want allow from good", got, err)
			}
		})
	}
}

// TestConcurrentEvaluateDuringActivate checks that every result comes wholly
// from one bundle set: revision "alice" allows alice, "bob" denies her.
func TestConcurrentEvaluateDuringActivate(t *testing.T) {
	ctx := context.Background()
	e := engine.New(engine.Options{})
	sets := []map[string]*bundle.Bundle{
		{"x": allowIf(t, "alice", "alice")},
		{"x": allowIf(t, "bob", "bob")},
	}
	activate(t, e, sets[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- evaluateUntil(ctx, e, stop) })
	}
	for i := range 20 {
		activate(t, e, sets[i%2])
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func evaluateUntil(ctx context.Context, e *engine.Engine, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		got, err := e.Evaluate(ctx, pdp.Query{Input: subject("alice")})
		if err != nil {
			return err
		}
		if got.Allow != (got.BundleRevision == "alice") {
			return fmt.Errorf("mixed result: allow=%v from revision %q", got.Allow, got.BundleRevision)
		}
	}
}

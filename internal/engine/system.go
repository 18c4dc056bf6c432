package engine

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// defaultSystemAuthz is the embedded data.system.authz policy, used whenever
// the active bundles define no rule under data.system.authz.
//
//go:embed system/authz.rego
var defaultSystemAuthz string

// SystemConfig becomes data.system.config for the system policy: the callers
// with extra rights (--auditors, --policy-authors).
type SystemConfig struct {
	Auditors      []string
	PolicyAuthors []string
}

// systemQuery holds the PDP's own rules of one activation: the prepared
// data.system.authz.allow query and the revoked token ids.
type systemQuery struct {
	authz   rego.PreparedEvalQuery
	defined bool // authz holds the bundles' own data.system.authz
	revoked map[string]struct{}
	// memo remembers the answers of the embedded default policy, which
	// depend on nothing but the call and the flags; nil for a bundle's own
	// policy, which may read anything.
	memo *answerMemo
}

// Read-only references to the system documents.
var (
	systemAuthzRef  = ast.MustParseRef("data.system.authz")
	systemAllowRef  = ast.MustParseRef("data.system.authz.allow")
	systemConfigRef = ast.MustParseRef("data.system.config")
	revokedJTIRef   = ast.MustParseRef("data.system.revoked_jti")
)

// Authorize evaluates data.system.authz.allow for a call to method by
// caller ("" when anonymous): the active bundles' rules when they define
// data.system.authz, else the embedded default (also before any bundle is
// active). Only an explicit true allows; an error means deny.
func (e *Engine) Authorize(ctx context.Context, method, caller string, explain bool) (bool, error) {
	sq, err := e.systemFor(e.active.Load())
	if err != nil {
		return false, err
	}
	key := memoKey(method, caller, explain)
	if allow, ok := sq.memo.get(key); ok {
		return allow, nil
	}
	allow, err := sq.evalAuthz(ctx, method, caller, explain)
	if err == nil {
		sq.memo.put(key, allow)
	}
	return allow, err
}

func (sq *systemQuery) evalAuthz(ctx context.Context, method, caller string, explain bool) (bool, error) {
	input := ast.NewObject(
		ast.Item(ast.InternedTerm("method"), ast.StringTerm(method)),
		ast.Item(ast.InternedTerm("caller"), callerTerm(caller)),
		ast.Item(ast.InternedTerm("explain"), ast.BooleanTerm(explain)),
	)
	rs, err := sq.authz.Eval(ctx, rego.EvalParsedInput(input), rego.EvalMetrics(metrics.NoOp()))
	if err != nil {
		return false, fmt.Errorf("evaluate data.system.authz.allow: %w", err)
	}
	allow, _ := firstValue(rs).(bool)
	return allow, nil
}

// Revoked reports whether the active bundles list jti in
// data.system.revoked_jti (an array or set of strings, or an object keyed by
// jti).
func (e *Engine) Revoked(jti string) bool {
	set := e.active.Load()
	if set == nil || set.system == nil {
		return false
	}
	_, ok := set.system.revoked[jti]
	return ok
}

func (e *Engine) systemFor(set *compiled) (*systemQuery, error) {
	if set != nil && set.system != nil && set.system.defined {
		return set.system, nil
	}
	return e.fallback()
}

// prepareSystem prepares the system rules of an activation: the bundles'
// data.system.authz when they define it (else the query stays zero and the
// embedded default answers) and the revoked jti list.
func prepareSystem(ctx context.Context, store storage.Store, c *ast.Compiler, cfg SystemConfig) (*systemQuery, error) {
	sq := &systemQuery{}
	var err error
	if len(c.GetRulesWithPrefix(systemAuthzRef)) > 0 {
		if sq.authz, err = prepareAuthz(ctx, store, c, cfg); err != nil {
			return nil, err
		}
		sq.defined = true
	}
	if sq.revoked, err = revokedJTIs(ctx, store, c); err != nil {
		return nil, err
	}
	return sq, nil
}

// defaultSystem compiles the embedded policy on its own.
func defaultSystem(ctx context.Context, cfg SystemConfig) (*systemQuery, error) {
	mod, err := ast.ParseModuleWithOpts("system/authz.rego", defaultSystemAuthz, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("parse default system policy: %w", err)
	}
	c := ast.NewCompiler()
	if c.Compile(map[string]*ast.Module{"system/authz.rego": mod}); c.Failed() {
		return nil, fmt.Errorf("compile default system policy: %w", c.Errors)
	}
	pq, err := prepareAuthz(ctx, inmem.New(), c, cfg)
	if err != nil {
		return nil, err
	}
	return &systemQuery{authz: pq, defined: true, memo: &answerMemo{}}, nil
}

// prepareAuthz prepares data.system.authz.allow with data.system.config
// replaced by the flags' values.
func prepareAuthz(ctx context.Context, store storage.Store, c *ast.Compiler, cfg SystemConfig) (rego.PreparedEvalQuery, error) {
	expr := ast.NewExpr(ast.NewTerm(systemAllowRef))
	expr.With = []*ast.With{{Target: ast.NewTerm(systemConfigRef), Value: ast.NewTerm(cfg.value())}}
	pq, err := rego.New(rego.ParsedQuery(ast.NewBody(expr)), rego.Compiler(c), rego.Store(store)).PrepareForEval(ctx)
	if err != nil {
		return pq, fmt.Errorf("prepare data.system.authz.allow: %w", err)
	}
	return pq, nil
}

func (cfg SystemConfig) value() ast.Value {
	return ast.NewObject(
		ast.Item(ast.StringTerm("auditors"), stringArray(cfg.Auditors)),
		ast.Item(ast.StringTerm("policy_authors"), stringArray(cfg.PolicyAuthors)),
	)
}

func stringArray(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}

func callerTerm(caller string) *ast.Term {
	if caller == "" {
		return ast.ObjectTerm()
	}
	return ast.ObjectTerm(ast.Item(ast.InternedTerm("id"), ast.StringTerm(caller)))
}

// revokedJTIs evaluates data.system.revoked_jti once per activation.
func revokedJTIs(ctx context.Context, store storage.Store, c *ast.Compiler) (map[string]struct{}, error) {
	rs, err := rego.New(rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(revokedJTIRef)))),
		rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluate data.system.revoked_jti: %w", err)
	}
	out := map[string]struct{}{}
	switch v := firstValue(rs).(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out[s] = struct{}{}
			}
		}
	case map[string]any:
		for k := range v {
			out[k] = struct{}{}
		}
	}
	return out, nil
}

func firstValue(rs rego.ResultSet) any {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil
	}
	return rs[0].Expressions[0].Value
}

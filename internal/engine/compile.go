package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/pdp-project/pdp/internal/pdp"
)

// compiled is an immutable, activated bundle set: safe to share between
// goroutines once published.
type compiled struct {
	revision          string
	digest            string // of the content, see digest.go
	defaultEntrypoint string
	queries           map[string]rego.PreparedEvalQuery
	plans             map[string]pdp.Plan     // per entrypoint, see analysis.go
	system            *systemQuery            // data.system rules, see system.go
	mask              *rego.PreparedEvalQuery // data.system.log.mask when defined, see mask.go
	// store and compiler hold the activated bundles for partial evaluation
	// (resource plans, plan.go); neither changes once compiled.
	store    storage.Store
	compiler *ast.Compiler
	// partials caches prepared partial queries by document (plan.go).
	partials sync.Map
}

// compile activates bundles into a fresh store and compiler and prepares one
// query per entrypoint. Nothing outside the returned value is touched.
func compile(ctx context.Context, bundles map[string]*bundle.Bundle, override string, sys SystemConfig) (*compiled, error) {
	if len(bundles) == 0 {
		return nil, errors.New("no bundles")
	}
	def, extra, err := entrypoints(bundles, override)
	if err != nil {
		return nil, err
	}
	all := append([]string{def}, extra...)
	digest, err := contentDigest(bundles, all)
	if err != nil {
		return nil, err
	}
	store, compiler, err := load(ctx, bundles)
	if err != nil {
		return nil, err
	}
	set := &compiled{revision: combinedRevision(bundles), digest: digest, defaultEntrypoint: def,
		queries: make(map[string]rego.PreparedEvalQuery, len(all)), plans: map[string]pdp.Plan{},
		store: store, compiler: compiler}
	for _, ep := range all {
		if set.queries[ep], err = prepare(ctx, store, compiler, ep); err != nil {
			return nil, err
		}
		set.plans[ep] = plan(compiler, pdp.Plan{Revision: set.revision, Digest: digest, Entrypoint: ep})
	}
	if set.system, err = prepareSystem(ctx, store, compiler, sys); err != nil {
		return nil, err
	}
	if set.mask, err = prepareMask(ctx, store, compiler); err != nil {
		return nil, err
	}
	return set, nil
}

// stamp numbers the plans of set with the activation that publishes it.
func (set *compiled) stamp(activation uint64) {
	for ep, p := range set.plans {
		p.Activation = activation
		set.plans[ep] = p
	}
}

// load writes the bundles' data into a new in-memory store and compiles
// their modules with OPA's own bundle activation, which also rejects
// overlapping roots and data outside a bundle's roots.
func load(ctx context.Context, bundles map[string]*bundle.Bundle) (storage.Store, *ast.Compiler, error) {
	store := inmem.NewWithOpts(inmem.OptReturnASTValuesOnRead(true))
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return nil, nil, err
	}
	compiler := ast.NewCompiler()
	err = bundle.Activate(&bundle.ActivateOpts{
		Ctx: ctx, Store: store, Txn: txn, Compiler: compiler,
		Metrics: metrics.NoOp(), Bundles: bundles,
	})
	if err != nil {
		store.Abort(ctx, txn)
		return nil, nil, err
	}
	if err := store.Commit(ctx, txn); err != nil {
		return nil, nil, err
	}
	return store, compiler, nil
}

// prepare checks that entrypoint names a rule or document and builds its
// prepared query. Built-in errors keep OPA's default semantics (the
// expression is undefined, as with `opa eval` and OPA's server), so a policy
// can guard bad input itself and answers match OPA's exactly.
func prepare(ctx context.Context, store storage.Store, c *ast.Compiler, entrypoint string) (rego.PreparedEvalQuery, error) {
	ref, err := entrypointRef(entrypoint)
	if err != nil {
		return rego.PreparedEvalQuery{}, err
	}
	if !defined(ctx, store, c, ref) {
		return rego.PreparedEvalQuery{}, fmt.Errorf("entrypoint %q is not defined by the bundles", entrypoint)
	}
	pq, err := rego.New(
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(ref)))),
		rego.Compiler(c), rego.Store(store),
	).PrepareForEval(ctx)
	if err != nil {
		return rego.PreparedEvalQuery{}, fmt.Errorf("prepare entrypoint %q: %w", entrypoint, err)
	}
	return pq, nil
}

// entrypointRef turns "authz/decision" into data.authz.decision.
func entrypointRef(entrypoint string) (ast.Ref, error) {
	if strings.Trim(entrypoint, "/") == "" {
		return nil, fmt.Errorf("entrypoint %q is not a data path", entrypoint)
	}
	ref, err := ast.PtrRef(ast.DefaultRootDocument, strings.Trim(entrypoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("entrypoint %q: %w", entrypoint, err)
	}
	return ref, nil
}

// defined reports whether some rule or some base document lives at ref.
func defined(ctx context.Context, store storage.Store, c *ast.Compiler, ref ast.Ref) bool {
	if len(c.GetRules(ref)) > 0 {
		return true
	}
	path, err := storage.NewPathForRef(ref)
	if err != nil {
		return false
	}
	_, err = storage.ReadOne(ctx, store, path)
	return err == nil
}

// entrypoints returns the default entrypoint and the extra ones the
// manifests declare. override (the --entrypoint flag) wins over the
// manifests; bundles declaring different defaults are an error.
func entrypoints(bundles map[string]*bundle.Bundle, override string) (string, []string, error) {
	var declared, extra []string
	for _, name := range sortedNames(bundles) {
		meta := bundles[name].Manifest.Metadata
		ep, err := metadataEntrypoint(name, meta)
		if err != nil {
			return "", nil, err
		}
		more, err := metadataEntrypoints(name, meta)
		if err != nil {
			return "", nil, err
		}
		declared = append(declared, ep)
		extra = append(extra, more...)
	}
	def, err := defaultEntrypoint(override, declared)
	if err != nil {
		return "", nil, err
	}
	return def, uniqueExcept(extra, def), nil
}

func defaultEntrypoint(override string, declared []string) (string, error) {
	if override != "" {
		return override, nil
	}
	declared = uniqueExcept(declared, "")
	switch len(declared) {
	case 0:
		return pdp.DefaultEntrypoint, nil
	case 1:
		return declared[0], nil
	}
	return "", fmt.Errorf("bundles declare different entrypoints %q", declared)
}

func metadataEntrypoint(name string, meta map[string]any) (string, error) {
	v, ok := meta["entrypoint"]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("bundle %q: metadata.entrypoint must be a non-empty string", name)
	}
	return s, nil
}

func metadataEntrypoints(name string, meta map[string]any) ([]string, error) {
	v, ok := meta["entrypoints"]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("bundle %q: metadata.entrypoints must be an array of strings", name)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("bundle %q: metadata.entrypoints must be an array of strings", name)
		}
		out = append(out, s)
	}
	return out, nil
}

func uniqueExcept(list []string, skip string) []string {
	slices.Sort(list)
	list = slices.Compact(list)
	return slices.DeleteFunc(list, func(s string) bool { return s == skip })
}

// combinedRevision is the revision of a bundle set: with one bundle its
// manifest revision exactly; with several, name:revision pairs joined by ","
// in name order.
func combinedRevision(bundles map[string]*bundle.Bundle) string {
	names := sortedNames(bundles)
	if len(names) == 1 {
		return bundles[names[0]].Manifest.Revision
	}
	pairs := make([]string, len(names))
	for i, name := range names {
		pairs[i] = name + ":" + bundles[name].Manifest.Revision
	}
	return strings.Join(pairs, ",")
}

func sortedNames(bundles map[string]*bundle.Bundle) []string {
	names := make([]string, 0, len(bundles))
	for name := range bundles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

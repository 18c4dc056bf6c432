package engine

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// alwaysNondeterministic names built-ins that are never cacheable even if
// OPA's table stopped marking them; every built-in OPA marks
// Nondeterministic counts too.
func alwaysNondeterministic(name string) bool {
	switch name {
	case "time.now_ns", "http.send", "rand.intn", "uuid.rfc4122", "opa.runtime", "net.lookup_ip_addr":
		return true
	}
	return false
}

// analysis walks every rule reachable from an entrypoint, functions
// included, and records which input paths it reads and whether it calls a
// non-deterministic built-in. It is conservative: whatever it cannot bound
// (a bare input, input[x], data[x]) widens the result.
type analysis struct {
	compiler   *ast.Compiler
	visited    map[*ast.Rule]bool
	paths      [][]string
	wholeInput bool
	nondet     bool
}

// analyze completes p (revision, digest and entrypoint set) with what
// entrypoint ref in compiler can read and call.
func analyze(c *ast.Compiler, ref ast.Ref, p pdp.Plan) pdp.Plan {
	a := &analysis{compiler: c, visited: map[*ast.Rule]bool{}}
	a.visitRef(ref)
	p.Deterministic, p.WholeInput = !a.nondet, a.wholeInput
	if !a.wholeInput {
		p.InputPaths = minimalPaths(a.paths)
	}
	return p
}

// walk visits every term of x: refs are classified, bare input and data
// variables widen the analysis.
func (a *analysis) walk(x any) {
	ast.NewGenericVisitor(func(v any) bool {
		switch t := v.(type) {
		case ast.Ref:
			a.visitRef(t)
			for _, e := range t[1:] {
				a.walk(e)
			}
			return true
		case ast.Var:
			a.visitVar(t)
		}
		return false
	}).Walk(x)
}

func (a *analysis) visitVar(v ast.Var) {
	switch {
	case v.Equal(ast.InputRootDocument.Value):
		a.wholeInput = true
	case v.Equal(ast.DefaultRootDocument.Value):
		a.visitDataRoot()
	}
}

// visitRef classifies one reference: a read of input, a read of data (whose
// rules are then visited) or a built-in call.
func (a *analysis) visitRef(ref ast.Ref) {
	switch {
	case ref.HasPrefix(ast.InputRootRef):
		a.addInputPath(ref)
	case ref.HasPrefix(ast.DefaultRootRef):
		prefix := ref.ConstantPrefix()
		if len(prefix) == 1 {
			a.visitDataRoot()
			return
		}
		a.visitRules(a.rulesUnder(prefix))
	default:
		a.checkBuiltin(ref)
	}
}

// visitDataRoot handles data itself or data[k]: it can reach every rule,
// data.system included, and the analysis does not try to bound what that
// reads of input.
func (a *analysis) visitDataRoot() {
	a.wholeInput = true
	a.visitRules(a.rulesUnder(ast.DefaultRootRef))
}

// rulesUnder returns every rule a ref with this constant prefix can reach:
// those defining a document at or above the prefix and all rules below it.
// Unlike OPA's GetRules it does not hide the data.system subtree, which a
// bundle may own and a dynamic ref may reach.
func (a *analysis) rulesUnder(prefix ast.Ref) []*ast.Rule {
	rules := slices.Clone(a.compiler.GetRulesForVirtualDocument(prefix))
	node := a.compiler.RuleTree
	for _, t := range prefix {
		if node = node.Child(t.Value); node == nil {
			return rules
		}
	}
	node.DepthFirst(func(n *ast.TreeNode) bool {
		rules = append(rules, n.Values...)
		return false
	})
	return rules
}

func (a *analysis) checkBuiltin(ref ast.Ref) {
	name := ref.String()
	if alwaysNondeterministic(name) {
		a.nondet = true
		return
	}
	if b, ok := ast.BuiltinMap[name]; ok && b.Nondeterministic {
		a.nondet = true
	}
}

// addInputPath records the constant string prefix of an input ref; a ref
// with no such prefix (input[x], input[0]) means the whole input.
func (a *analysis) addInputPath(ref ast.Ref) {
	var path []string
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			break
		}
		path = append(path, string(s))
	}
	if len(path) == 0 {
		a.wholeInput = true
		return
	}
	a.paths = append(a.paths, path)
}

func (a *analysis) visitRules(rules []*ast.Rule) {
	for _, r := range rules {
		if a.visited[r] {
			continue
		}
		a.visited[r] = true
		a.walk(r)
	}
}

// minimalPaths sorts paths and drops every path that has another as a
// prefix (the shorter one already covers its subtree).
func minimalPaths(paths [][]string) [][]string {
	slices.SortFunc(paths, slices.Compare)
	var out [][]string
	for _, p := range paths {
		if n := len(out); n > 0 && hasPrefix(p, out[n-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func hasPrefix(p, prefix []string) bool {
	return len(p) >= len(prefix) && slices.Equal(p[:len(prefix)], prefix)
}

// plan analyses p.Entrypoint, which prepare has already accepted.
func plan(c *ast.Compiler, p pdp.Plan) pdp.Plan {
	ref, err := entrypointRef(p.Entrypoint)
	if err != nil { // not reached: prepare checked the entrypoint
		p.WholeInput = true
		return p
	}
	return analyze(c, ref, p)
}

// Plan reports, for an entrypoint of the active bundle set ("" is the
// default), the input paths it can read and whether it is deterministic, as
// computed at activation. Errors are those of Evaluate: Unavailable with no
// active set, InvalidArgument for an undeclared entrypoint.
func (e *Engine) Plan(entrypoint string) (pdp.Plan, error) {
	set := e.active.Load()
	if set == nil {
		return pdp.Plan{}, pdp.Unavailable("no policy bundle is active", nil)
	}
	ep, _, err := set.query(entrypoint)
	if err != nil {
		return pdp.Plan{}, err
	}
	return set.plans[ep], nil
}

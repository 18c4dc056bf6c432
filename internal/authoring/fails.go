package authoring

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Failure is a rule that could have granted but did not hold, with the
// first of its conditions that failed, as OPA's --explain=fails shows it.
type Failure struct {
	Rule     string // data.authz.decision
	At       string // file:line of the rule
	Failed   string // the condition as written
	FailedAt string // file:line of the condition; empty when none failed
	// Skipped is set when the rule was never evaluated: OPA's rule index
	// left it out, as a condition on the input cannot match.
	Skipped bool
	// Because holds the rules the failed condition reads that did not hold
	// either, each with its own first failed condition (one level down).
	Because []Failure
}

// Fails explains a deny of the entrypoint (a path such as authz/decision)
// of the servable bundle at path for input: the definitions of the
// entrypoint that could have granted and did not hold, each with the first
// condition that failed and, under it, when the rules that condition reads
// gave nothing (no grants), each of their definitions with its own first
// failed condition.
func Fails(ctx context.Context, path, entrypoint string, input map[string]any) ([]Failure, error) {
	b, err := loadServable(path)
	if err != nil {
		return nil, err
	}
	c, tr, err := traceEval(ctx, b, entrypoint, input)
	if err != nil {
		return nil, err
	}
	ref, err := ast.PtrRef(ast.DefaultRootDocument, entrypoint)
	if err != nil {
		return nil, fmt.Errorf("entrypoint %q: %w", entrypoint, err)
	}
	granting := grantingRules(b)
	var out []Failure
	for _, r := range byLocation(c.GetRulesExact(ref)) {
		if key := locKey(r.Location); granting[key] && !tr.held[key] {
			out = append(out, tr.failure(c, r, true))
		}
	}
	return out, nil
}

// grantingRules are the locations of the rules, as written, that are not
// defaults and whose value allows (the compiler rewrites values into
// variables, so they are classified before it runs).
func grantingRules(b *bundle.Bundle) map[string]bool {
	out := map[string]bool{}
	for _, m := range b.Modules {
		for _, r := range m.Parsed.Rules {
			if !r.Default && r.Head.Value != nil && allowing(r.Head.Value) {
				out[locKey(r.Location)] = true
			}
		}
	}
	return out
}

// traceEval evaluates the entrypoint over the bundle with a tracer that
// records, per rule, whether it held and its first failed condition.
func traceEval(ctx context.Context, b *bundle.Bundle, entrypoint string, input map[string]any) (*ast.Compiler, *failTracer, error) {
	modules := map[string]*ast.Module{}
	for _, m := range b.Modules {
		modules[m.Path] = m.Parsed
	}
	c := ast.NewCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, nil, fmt.Errorf("compile: %w", c.Errors)
	}
	ref, err := ast.PtrRef(ast.DefaultRootDocument, entrypoint)
	if err != nil {
		return nil, nil, fmt.Errorf("entrypoint %q: %w", entrypoint, err)
	}
	tr := &failTracer{rules: map[uint64]*ast.Rule{}, held: map[string]bool{}, tried: map[string]bool{}, failed: map[string]*ast.Expr{}}
	data := b.Data
	if data == nil {
		data = map[string]any{}
	}
	q := rego.New(rego.Query(ref.String()), rego.Compiler(c), rego.Store(inmem.NewFromObject(data)),
		rego.Input(input), rego.QueryTracer(tr))
	if _, err := q.Eval(ctx); err != nil {
		return nil, nil, fmt.Errorf("evaluate %s: %w", entrypoint, err)
	}
	return c, tr, nil
}

// failTracer follows rule bodies by query id: a rule held when it exited,
// and its first failed condition is the first Fail of its body.
type failTracer struct {
	rules  map[uint64]*ast.Rule // body query -> rule
	held   map[string]bool      // rule location -> held
	tried  map[string]bool      // rule location -> evaluated
	failed map[string]*ast.Expr // rule location -> first failed condition
}

var _ topdown.QueryTracer = (*failTracer)(nil)

func (*failTracer) Enabled() bool               { return true }
func (*failTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }

func (t *failTracer) TraceEvent(evt topdown.Event) {
	switch n := evt.Node.(type) {
	case *ast.Rule:
		if evt.Op == topdown.EnterOp {
			t.rules[evt.QueryID], t.tried[locKey(n.Location)] = n, true
		} else if evt.Op == topdown.ExitOp {
			t.held[locKey(n.Location)] = true
		}
	case *ast.Expr:
		r, ok := t.rules[evt.QueryID]
		if !ok || evt.Op != topdown.FailOp {
			return
		}
		if key := locKey(r.Location); t.failed[key] == nil {
			t.failed[key] = n
		}
	}
}

// failure describes rule r, and with deeper, the rules its failed
// condition reads that did not hold.
func (t *failTracer) failure(c *ast.Compiler, r *ast.Rule, deeper bool) Failure {
	f := Failure{Rule: r.Path().String(), At: location(r.Location), Skipped: !t.tried[locKey(r.Location)]}
	expr := t.failed[locKey(r.Location)]
	if expr == nil {
		return f
	}
	f.Failed, f.FailedAt = sourceText(expr), location(expr.Location)
	if !deeper {
		return f
	}
	seen := map[string]bool{}
	for _, ref := range conditionRefs(r, expr) {
		defs := byLocation(c.GetRules(ref.GroundPrefix()))
		if t.anyHeld(defs) {
			continue // the condition failed on what the rule gave, not for want of it
		}
		for _, d := range defs {
			if key := locKey(d.Location); !d.Default && !seen[key] {
				seen[key] = true
				f.Because = append(f.Because, t.failure(c, d, false))
			}
		}
	}
	return f
}

// anyHeld reports whether a definition other than the default held.
func (t *failTracer) anyHeld(defs []*ast.Rule) bool {
	for _, d := range defs {
		if !d.Default && t.held[locKey(d.Location)] {
			return true
		}
	}
	return false
}

// conditionRefs are the data refs of a condition as compiled: the compiler
// splits one written condition (count(grants) > 0) into several
// expressions of the rule's body, all on the condition's lines.
func conditionRefs(r *ast.Rule, cond *ast.Expr) []ast.Ref {
	var refs []ast.Ref
	for _, e := range r.Body {
		if !within(e.Location, cond.Location) {
			continue
		}
		ast.WalkRefs(e, func(ref ast.Ref) bool {
			if ref.HasPrefix(ast.DefaultRootRef) {
				refs = append(refs, ref)
			}
			return false
		})
	}
	return refs
}

func locKey(loc *ast.Location) string {
	if loc == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", loc.File, loc.Row, loc.Col)
}

func location(loc *ast.Location) string {
	if loc == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d", loc.File, loc.Row)
}

// sourceText is a condition as written (its first line), else as compiled.
func sourceText(e *ast.Expr) string {
	if e.Location != nil && len(e.Location.Text) > 0 {
		line, _, _ := strings.Cut(string(e.Location.Text), "\n")
		return strings.TrimSpace(line)
	}
	return e.String()
}

// WriteFails prints failures under a heading, each rule with its first
// failed condition, the rules that condition reads indented below it.
func WriteFails(w io.Writer, fails []Failure) {
	if len(fails) == 0 {
		return
	}
	fmt.Fprintln(w, "could have granted, and the first condition that failed:")
	for _, f := range fails {
		writeFailure(w, f, "  ")
	}
}

func writeFailure(w io.Writer, f Failure, indent string) {
	fmt.Fprintf(w, "%s%s  (%s)\n", indent, f.Rule, f.At)
	switch {
	case f.Skipped:
		fmt.Fprintf(w, "%s  skipped: a condition on the input cannot match (OPA's rule index)\n", indent)
		return
	case f.FailedAt == "":
		fmt.Fprintf(w, "%s  did not hold\n", indent)
		return
	}
	fmt.Fprintf(w, "%s  failed: %s  (%s)\n", indent, f.Failed, f.FailedAt)
	for _, b := range f.Because {
		writeFailure(w, b, indent+"    ")
	}
}

// within reports whether loc lies on the lines of outer.
func within(loc, outer *ast.Location) bool {
	if loc == nil || outer == nil || loc.File != outer.File {
		return false
	}
	last := outer.Row + strings.Count(string(outer.Text), "\n")
	return loc.Row >= outer.Row && loc.Row <= last
}

// byLocation sorts rules by file and line, for a stable report.
func byLocation(rules []*ast.Rule) []*ast.Rule {
	return slices.SortedFunc(slices.Values(rules), func(a, b *ast.Rule) int {
		return cmp.Or(strings.Compare(a.Location.File, b.Location.File), a.Location.Row-b.Location.Row)
	})
}

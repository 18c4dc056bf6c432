package authoring

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Rule ids of the checks for policies that grant too much.
const (
	RuleDefaultAllow        = "default-allow"
	RuleAllowWithoutSubject = "allow-without-subject"
	RuleWildcardInData      = "wildcard-in-data"
	RuleEntrypointNoDeny    = "entrypoint-never-denies"
	RuleDenyWithoutReason   = "deny-without-reason"
)

var inputSubject = ast.MustParseRef("input.subject")

// allowing classifies the value of a decision rule: a constant true, or an
// object whose allow is a constant true.
func allowing(v *ast.Term) bool {
	return constBool(allowTerm(v), true)
}

// denying reports whether a decision value can be a deny: anything that is
// not a constant allow.
func denying(v *ast.Term) bool {
	return !allowing(v)
}

func allowTerm(v *ast.Term) *ast.Term {
	if obj, ok := v.Value.(ast.Object); ok {
		if t := obj.Get(ast.StringTerm("allow")); t != nil {
			return t
		}
	}
	return v
}

func constBool(t *ast.Term, want bool) bool {
	b, ok := t.Value.(ast.Boolean)
	return ok && bool(b) == want
}

// checkGrants runs the checks on the entrypoint's rules and on rules named
// allow, test files left out.
func (l *linter) checkGrants() {
	epRef, err := ast.PtrRef(ast.DefaultRootDocument, strings.Trim(l.entrypoint, "/"))
	if err != nil {
		return
	}
	eps := l.policyRules(func(r *ast.Rule) bool { return r.Ref().Equal(epRef) })
	allows := l.policyRules(func(r *ast.Rule) bool {
		return r.Ref().Equal(epRef) || r.Head.Name == "allow" || r.Ref()[len(r.Ref())-1].Equal(ast.StringTerm("allow"))
	})
	for _, r := range allows {
		l.checkAllowRule(r)
	}
	l.checkEntrypoint(eps)
}

func (l *linter) policyRules(keep func(*ast.Rule) bool) []*ast.Rule {
	var out []*ast.Rule
	for _, name := range sortedKeys(l.compiler.Modules) {
		if isTestFile(name) {
			continue
		}
		for _, r := range l.compiler.Modules[name].Rules {
			if r.Head.Value != nil && keep(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (l *linter) checkAllowRule(r *ast.Rule) {
	if !allowing(r.Head.Value) {
		return
	}
	if r.Default {
		l.add(r.Location, RuleDefaultAllow, SeverityError, "default %s allows: every request no other rule decides is allowed", r.Ref())
		return
	}
	if !l.readsSubject(r, map[*ast.Rule]bool{}) {
		l.add(r.Location, RuleAllowWithoutSubject, SeverityError, "%s allows with no condition on input.subject: anyone gets it", r.Ref())
	}
}

// readsSubject reports whether a rule's body depends on the subject: it
// reads input.subject (or the whole input), or reads a rule every
// definition of which does.
func (l *linter) readsSubject(r *ast.Rule, seen map[*ast.Rule]bool) bool {
	if done, ok := seen[r]; ok {
		return done // false while r is being walked: a cycle adds nothing
	}
	seen[r] = false
	found := false
	walkRuleRefs(r, func(ref ast.Ref) bool {
		switch {
		case found:
		case ref.HasPrefix(inputSubject) || ref.Equal(ast.InputRootRef) || inputSubject.HasPrefix(ref):
			found = true
		case ref.HasPrefix(ast.DefaultRootRef):
			found = l.allDefinitionsReadSubject(ref, seen)
		}
		return found
	})
	seen[r] = found
	return found
}

// walkRuleRefs visits the refs of a rule's body and of its head's value,
// key and arguments (user := data.users[input.subject.id] reads the
// subject in its head).
func walkRuleRefs(r *ast.Rule, f func(ast.Ref) bool) {
	for _, t := range append([]*ast.Term{r.Head.Value, r.Head.Key}, r.Head.Args...) {
		if t != nil {
			ast.WalkRefs(t, f)
		}
	}
	ast.WalkRefs(r.Body, f)
}

func (l *linter) allDefinitionsReadSubject(ref ast.Ref, seen map[*ast.Rule]bool) bool {
	var defs []*ast.Rule
	for _, d := range l.compiler.GetRules(ref.GroundPrefix()) {
		if !d.Default {
			defs = append(defs, d)
		}
	}
	for _, d := range defs {
		if !l.readsSubject(d, seen) {
			return false
		}
	}
	return len(defs) > 0
}

// checkEntrypoint: some definition must be able to deny, and a deny that
// is an object should say why.
func (l *linter) checkEntrypoint(eps []*ast.Rule) {
	if len(eps) == 0 {
		return
	}
	canDeny := false
	for _, r := range eps {
		for def := r; def != nil; def = def.Else { // decision := ... if {...} else := {"allow": false}
			if denying(def.Head.Value) {
				canDeny = true
				l.checkDenyReason(def)
			}
		}
	}
	if !canDeny {
		l.add(eps[0].Location, RuleEntrypointNoDeny, SeverityError, "no definition of entrypoint %s can deny (only an undefined result would)", l.entrypoint)
	}
}

func (l *linter) checkDenyReason(r *ast.Rule) {
	obj, ok := r.Head.Value.Value.(ast.Object)
	if !ok || !constBool(allowTerm(r.Head.Value), false) {
		return
	}
	reasons := obj.Get(ast.StringTerm("reasons"))
	if arr, isArr := termArray(reasons); reasons == nil || (isArr && arr.Len() == 0) {
		l.add(r.Location, RuleDenyWithoutReason, SeverityWarning, "%s denies without reasons: the caller cannot tell why", r.Ref())
	}
}

func termArray(t *ast.Term) (*ast.Array, bool) {
	if t == nil {
		return nil, false
	}
	a, ok := t.Value.(*ast.Array)
	return a, ok
}

// wildcard matches a "*" string in JSON or YAML data.
var wildcard = regexp.MustCompile(`(^|[\s\[,:{-])["']?\*["']?\s*([,\]}:]|$)`)

// checkDataWildcards reports each line of a data file that holds a "*"
// role, action or resource: the PDP matches strings exactly, so a wildcard
// in data is either dead or, with a policy that honours it, grants
// everything.
func (l *linter) checkDataWildcards() error {
	skip := sourceFilter(l.root, true)
	return filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil || (d.IsDir() && skip(p, info, 0)) {
			return orSkip(err)
		}
		if name := d.Name(); name == "data.json" || name == "data.yaml" {
			return l.scanWildcards(p)
		}
		return nil
	})
}

func orSkip(err error) error {
	if err != nil {
		return err
	}
	return filepath.SkipDir
}

func (l *linter) scanWildcards(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if wildcard.MatchString(sc.Text()) {
			l.add(&ast.Location{File: path, Row: line}, RuleWildcardInData, SeverityError, "wildcard \"*\" in data: roles, actions and resources should be named")
		}
	}
	return sc.Err()
}

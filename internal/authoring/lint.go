package authoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/loader"

	"github.com/pdp-project/pdp/internal/pdp"
)

// Severities of lint findings: errors fail pdp lint.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is one lint finding.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s [%s] %s", f.File, f.Line, f.Rule, f.Severity, f.Message)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// linter holds one policy set while it is checked.
type linter struct {
	root       string
	entrypoint string
	loaded     *loader.Result
	compiler   *ast.Compiler
	findings   []Finding
}

// Lint checks the policy set at root (nested bundles are linted on their own
// by the caller): OPA's compile and strict checks, opa fmt differences, and
// the checks for policies that grant too much (lint_rules.go). Findings are
// sorted by file and line; an error means the set could not be read.
func Lint(root string) ([]Finding, error) {
	l := &linter{root: root, entrypoint: manifestEntrypoint(root)}
	loaded, err := loader.NewFileLoader().WithProcessAnnotation(true).Filtered([]string{root}, sourceFilter(root, true))
	if err != nil {
		if l.parseErrors(err) {
			return l.sorted(), nil
		}
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	l.loaded = loaded
	l.checkFormat()
	if l.compile() {
		l.checkGrants()
	}
	if err := l.checkDataWildcards(); err != nil {
		return nil, err
	}
	l.dropIgnored()
	return l.sorted(), nil
}

// ignoreMarker in a comment on a finding's line or the line above it
// silences that finding: "# lint:ignore allow-without-subject (reason)".
const ignoreMarker = "lint:ignore "

// dropIgnored removes the findings that a comment silences.
func (l *linter) dropIgnored() {
	ignored := map[string]bool{}
	for name, m := range l.loaded.Modules {
		for _, c := range m.Parsed.Comments {
			_, after, ok := strings.Cut(string(c.Text), ignoreMarker)
			if rule, _, _ := strings.Cut(strings.TrimSpace(after), " "); ok {
				file := rel(l.root, name)
				ignored[fmt.Sprintf("%s:%d:%s", file, c.Location.Row, rule)] = true
				ignored[fmt.Sprintf("%s:%d:%s", file, c.Location.Row+1, rule)] = true
			}
		}
	}
	l.findings = slices.DeleteFunc(l.findings, func(f Finding) bool {
		return ignored[fmt.Sprintf("%s:%d:%s", f.File, f.Line, f.Rule)]
	})
}

func (l *linter) add(loc *ast.Location, rule, severity, format string, args ...any) {
	f := Finding{Rule: rule, Severity: severity, Message: fmt.Sprintf(format, args...)}
	if loc != nil {
		f.File, f.Line = rel(l.root, loc.File), loc.Row
	}
	l.findings = append(l.findings, f)
}

func (l *linter) sorted() []Finding {
	slices.SortStableFunc(l.findings, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return l.findings
}

// parseErrors turns a loader error made of parse errors into findings.
func (l *linter) parseErrors(err error) bool {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		return false
	}
	for _, e := range errs {
		l.add(e.Location, "opa-parse", SeverityError, "%s", e.Message)
	}
	return true
}

// checkFormat reports each file that opa fmt would change, at the first
// line that differs.
func (l *linter) checkFormat() {
	for _, name := range sortedKeys(l.loaded.Modules) {
		m := l.loaded.Modules[name]
		want, err := format.Source(name, m.Raw)
		if err != nil || bytes.Equal(want, m.Raw) {
			continue
		}
		line := firstDifferentLine(m.Raw, want)
		l.add(&ast.Location{File: name, Row: line}, "opa-fmt", SeverityWarning, "not formatted as opa fmt would (run: opa fmt -w %s)", rel(l.root, name))
	}
}

func firstDifferentLine(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

// compile runs OPA's compiler, then its strict mode, reporting every error;
// it returns whether the policies compiled (strict findings aside).
func (l *linter) compile() bool {
	modules := l.loaded.ParsedModules()
	c := ast.NewCompiler()
	if c.Compile(modules); c.Failed() {
		for _, e := range c.Errors {
			l.add(e.Location, "opa-compile", SeverityError, "%s", e.Message)
		}
		return false
	}
	l.compiler = c
	strict := ast.NewCompiler().WithStrict(true)
	if strict.Compile(l.loaded.ParsedModules()); strict.Failed() {
		for _, e := range strict.Errors {
			l.add(e.Location, "opa-strict", SeverityError, "%s", e.Message)
		}
	}
	return true
}

// manifestEntrypoint is the entrypoint pdp serve would evaluate for the
// bundle at root: the manifest's metadata.entrypoint, else the default.
func manifestEntrypoint(root string) string {
	data, err := os.ReadFile(filepath.Join(root, manifestFile))
	if err != nil {
		return pdp.DefaultEntrypoint
	}
	var m struct {
		Metadata struct {
			Entrypoint string `json:"entrypoint"`
		} `json:"metadata"`
	}
	if json.Unmarshal(data, &m) != nil || m.Metadata.Entrypoint == "" {
		return pdp.DefaultEntrypoint
	}
	return m.Metadata.Entrypoint
}

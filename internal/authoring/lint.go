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

// Lint checks the policy set at path (nested bundles are linted on their
// own by the caller): OPA's compile and strict checks, opa fmt differences,
// and the checks for policies that grant too much (lint_rules.go). A file
// that does not parse is a finding. Findings are sorted by file and line,
// with files relative to path; an error means the set could not be read.
//
// When path is a file, its policy set (that of the nearest manifest above
// it, else its directory) is checked and only the findings in the file are
// kept, their file relative to the file's directory.
func Lint(path string) ([]Finding, error) {
	root, only := lintRoot(path)
	findings, err := lintSet(root)
	if err != nil || only == "" {
		return findings, err
	}
	kept := findings[:0]
	for _, f := range findings {
		if f.File == only {
			f.File = filepath.Base(only)
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// lintRoot returns the policy set to check for path and, when path is a
// file, its name relative to that set.
func lintRoot(path string) (root, only string) {
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return path, ""
	}
	dir := filepath.Dir(path)
	for d := dir; ; d = filepath.Join(d, "..") {
		if hasManifest(d) {
			return d, relAbs(d, path)
		}
		if abs, err := filepath.Abs(d); err != nil || abs == filepath.Dir(abs) {
			return dir, filepath.Base(path)
		}
	}
}

// relAbs is path relative to dir, in slash form, which filepath.Rel cannot
// tell for a dir such as "..".
func relAbs(dir, path string) string {
	absDir, err1 := filepath.Abs(dir)
	absPath, err2 := filepath.Abs(path)
	r, err := filepath.Rel(absDir, absPath)
	if err := errors.Join(err1, err2, err); err != nil {
		return path
	}
	return filepath.ToSlash(r)
}

func lintSet(root string) ([]Finding, error) {
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
	for _, m := range l.loaded.Modules {
		for _, c := range m.Parsed.Comments {
			_, after, ok := strings.Cut(string(c.Text), ignoreMarker)
			if rule, _, _ := strings.Cut(strings.TrimSpace(after), " "); ok {
				file := rel(l.root, m.Name)
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
	errs, ok := parseErrorList(err)
	for _, e := range errs {
		l.add(e.Location, "opa-parse", SeverityError, "%s", e.Message)
	}
	return ok
}

// parseErrorList returns the OPA errors err is made of, as the loader
// returns them (loader.Errors) or as the parser does (ast.Errors); ok is
// false when err holds anything else.
func parseErrorList(err error) (errs []*ast.Error, ok bool) {
	var loaderErrs loader.Errors
	if !errors.As(err, &loaderErrs) {
		var astErrs ast.Errors
		return astErrs, errors.As(err, &astErrs)
	}
	for _, e := range loaderErrs {
		var ae *ast.Error
		if !errors.As(e, &ae) {
			return nil, false
		}
		errs = append(errs, ae)
	}
	return errs, true
}

// checkFormat reports each file that opa fmt would change, at the first
// line that differs. The file is the module's Name: its key lacks the
// leading "/" of an absolute path.
func (l *linter) checkFormat() {
	for _, key := range sortedKeys(l.loaded.Modules) {
		m := l.loaded.Modules[key]
		name := m.Name
		want, err := format.Source(name, m.Raw)
		if err != nil || bytes.Equal(want, m.Raw) {
			continue
		}
		line := firstDifferentLine(m.Raw, want)
		l.add(&ast.Location{File: name, Row: line}, "opa-fmt", SeverityWarning, "not formatted as opa fmt would (run: pdp fmt -w %s)", name)
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

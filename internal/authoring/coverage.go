package authoring

import (
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
)

// Coverage is OPA's line coverage of the policy files of one policy set,
// test files excluded, per file and per rule.
type Coverage struct {
	Percent             float64
	Covered, NotCovered int
	Files               []FileCoverage
}

// FileCoverage is the coverage of one policy file.
type FileCoverage struct {
	File                string
	Percent             float64
	Covered, NotCovered int
	Rules               []RuleCoverage
}

// RuleCoverage is the coverage of every definition of one rule in a file.
type RuleCoverage struct {
	Rule                string
	Line                int
	Percent             float64
	Covered, NotCovered int
	// Uncovered lists the lines no test reached.
	Uncovered []int
}

// coverage summarises a cover report over the non-test modules.
func coverage(root string, c *cover.Cover, modules map[string]*ast.Module) *Coverage {
	policy := map[string]*ast.Module{}
	for name, m := range modules {
		if !isTestFile(name) {
			policy[name] = m
		}
	}
	report := c.Report(policy)
	out := &Coverage{}
	for _, name := range sortedKeys(policy) {
		fc := fileCoverage(rel(root, name), report.Files[name], policy[name])
		out.Covered += fc.Covered
		out.NotCovered += fc.NotCovered
		out.Files = append(out.Files, fc)
	}
	out.Percent = percent(out.Covered, out.NotCovered)
	return out
}

func fileCoverage(name string, fr *cover.FileReport, m *ast.Module) FileCoverage {
	fc := FileCoverage{File: name}
	byRule := map[string]*RuleCoverage{}
	var order []string
	for _, rule := range m.Rules {
		key := rule.Head.Ref().String()
		rc, ok := byRule[key]
		if !ok {
			rc = &RuleCoverage{Rule: key, Line: rule.Location.Row}
			byRule[key], order = rc, append(order, key)
		}
		countRows(rc, fr, rule.Location)
	}
	for _, key := range order {
		rc := byRule[key]
		rc.Percent = percent(rc.Covered, rc.NotCovered)
		fc.Rules = append(fc.Rules, *rc)
	}
	if fr != nil {
		fc.Covered, fc.NotCovered = fr.CoveredLines, fr.NotCoveredLines
	}
	fc.Percent = percent(fc.Covered, fc.NotCovered)
	return fc
}

// countRows classifies each row a rule spans: not covered when OPA reports
// it so, covered when OPA saw it evaluated, else not counted (comments).
func countRows(rc *RuleCoverage, fr *cover.FileReport, loc *ast.Location) {
	last := loc.Row + strings.Count(string(loc.Text), "\n")
	for row := loc.Row; row <= last; row++ {
		switch {
		case fr.IsNotCovered(row):
			rc.NotCovered++
			rc.Uncovered = append(rc.Uncovered, row)
		case fr.IsCovered(row):
			rc.Covered++
		}
	}
}

func percent(covered, notCovered int) float64 {
	if covered+notCovered == 0 {
		return 100
	}
	return 100 * float64(covered) / float64(covered+notCovered)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package authoring

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// A decision-case file is checked against its own nodes before anything is
// decoded, so that a mistake is reported at its line in the file, under its
// field as written (expect.allow), never as a Go type.

// fieldError is one mistake in a decision case.
type fieldError struct {
	line         int
	field, issue string
}

// caseFields and expectFields are the fields a case and its expectation
// may have.
var (
	caseFields   = []string{"name", "input", "expect"}
	expectFields = []string{"allow", "reasons", "obligations"}
)

// caseNodes returns the items of the file's cases list; an empty file has
// none.
func caseNodes(doc *yaml.Node) ([]*yaml.Node, *fieldError) {
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, &fieldError{top.Line, "(top level)", "want a mapping with one key, cases"}
	}
	var items []*yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch {
		case k.Value != "cases":
			return nil, &fieldError{k.Line, k.Value, "unknown field (want cases)"}
		case v.Kind != yaml.SequenceNode:
			return nil, &fieldError{v.Line, "cases", "want a list of cases, got " + kindName(v)}
		}
		items = v.Content
	}
	return items, nil
}

// checkCase returns every mistake of one case: unknown fields, values of
// the wrong kind, required fields missing.
func checkCase(node *yaml.Node) []fieldError {
	if node.Kind != yaml.MappingNode {
		return []fieldError{{node.Line, "(case)", "want a mapping with name, input and expect, got " + kindName(node)}}
	}
	var errs []fieldError
	seen := fields(node, "", caseFields, &errs)
	if name, ok := seen["name"]; !ok || name.Kind == yaml.ScalarNode && name.Value == "" {
		errs = append(errs, fieldError{node.Line, "name", "required"})
	} else if name.Kind != yaml.ScalarNode {
		errs = append(errs, fieldError{name.Line, "name", "want a string, got " + kindName(name)})
	}
	if in, ok := seen["input"]; ok && in.Kind != yaml.MappingNode {
		errs = append(errs, fieldError{in.Line, "input", "want a mapping (a CheckRequest), got " + kindName(in)})
	}
	expect, ok := seen["expect"]
	switch {
	case !ok:
		errs = append(errs, fieldError{node.Line, "expect", "required (with at least allow)"})
	case expect.Kind != yaml.MappingNode:
		errs = append(errs, fieldError{expect.Line, "expect", "want a mapping, got " + kindName(expect)})
	default:
		errs = append(errs, checkExpect(expect)...)
	}
	return errs
}

func checkExpect(node *yaml.Node) []fieldError {
	var errs []fieldError
	seen := fields(node, "expect.", expectFields, &errs)
	allow, ok := seen["allow"]
	switch {
	case !ok:
		errs = append(errs, fieldError{node.Line, "expect.allow", "required"})
	case allow.Kind != yaml.ScalarNode || allow.Tag != "!!bool":
		errs = append(errs, fieldError{allow.Line, "expect.allow", fmt.Sprintf("want true or false, got %s", valueName(allow))})
	}
	if r, ok := seen["reasons"]; ok && !scalarList(r) {
		errs = append(errs, fieldError{r.Line, "expect.reasons", "want a list of strings, got " + kindName(r)})
	}
	if o, ok := seen["obligations"]; ok && o.Kind != yaml.MappingNode {
		errs = append(errs, fieldError{o.Line, "expect.obligations", "want a mapping, got " + kindName(o)})
	}
	return errs
}

// fields returns the values of a mapping by key and reports keys that are
// not among known, their field named with prefix.
func fields(node *yaml.Node, prefix string, known []string, errs *[]fieldError) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if !contains(known, k.Value) {
			*errs = append(*errs, fieldError{k.Line, prefix + k.Value, "unknown field (want " + orList(known) + ")"})
			continue
		}
		out[k.Value] = v
	}
	return out
}

func scalarList(n *yaml.Node) bool {
	if n.Kind != yaml.SequenceNode {
		return false
	}
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orList(items []string) string {
	last := len(items) - 1
	return strings.Join(items[:last], ", ") + " or " + items[last]
}

// kindName names a node's kind as a YAML author sees it.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return valueName(n)
}

// valueName shows a scalar as written.
func valueName(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return kindName(n)
	}
	return fmt.Sprintf("%q", n.Value)
}

package authoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v3"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/strictjson"
)

// Case is one decision case: a CheckRequest (protojson field names) and the
// decision it must get.
type Case struct {
	Name   string         `yaml:"name"`
	Input  map[string]any `yaml:"input"`
	Expect Expect         `yaml:"expect"`
	// File and Line locate the case in its decision-case file.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Expect is what a case must decide: allow is required; reasons and
// obligations are compared exactly when present.
type Expect struct {
	Allow       *bool           `yaml:"allow"`
	Reasons     *[]string       `yaml:"reasons"`
	Obligations *map[string]any `yaml:"obligations"`
}

// LoadCases reads one decision-case file ({cases: [...]}). Mistakes are
// reported together, every bad case of the file, each at its line and
// under its field as written (file:line: case N: expect.allow: ...).
func LoadCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	nodes, ferr := caseNodes(&doc) // casecheck.go
	if ferr != nil {
		return nil, fmt.Errorf("%s:%d: %s: %s", path, ferr.line, ferr.field, ferr.issue)
	}
	cases := make([]Case, len(nodes))
	var errs []error
	for i, node := range nodes {
		if line, err := duplicateKey(node, ""); err != nil { // casekeys.go
			errs = append(errs, fmt.Errorf("%s:%d: case %d: %w", path, line, i, err))
			continue
		}
		for _, fe := range checkCase(node) {
			errs = append(errs, fmt.Errorf("%s:%d: case %d: %s: %s", path, fe.line, i, fe.field, fe.issue))
		}
		if err := node.Decode(&cases[i]); err != nil && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s:%d: case %d: %w", path, node.Line, i, err))
		}
		cases[i].File, cases[i].Line = path, node.Line
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cases, nil
}

// CaseFiles lists the decision-case files of the policy set at root, nested
// bundles left out.
func CaseFiles(root string) ([]string, error) {
	var files []string
	skip := sourceFilter(root, true)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() && skip(p, info, 0) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), caseFileSuffix) {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// RequestFromJSON reads a CheckRequest in JSON (protojson names, as pdp
// check reads it) and converts it as the server does. A duplicate key, a
// string that is not valid UTF-8 or a number beyond a 64-bit float is
// refused naming its field (strictjson), as the AuthZEN endpoints do.
func RequestFromJSON(data []byte) (pdp.Request, error) {
	if err := strictJSON(data); err != nil {
		return pdp.Request{}, err
	}
	in := &pdpv1.CheckRequest{}
	if err := protojson.Unmarshal(data, in); err != nil {
		return pdp.Request{}, fmt.Errorf("not a CheckRequest in JSON: %w", err)
	}
	req := server.ToRequest(in, "")
	if err := req.Validate(); err != nil {
		return pdp.Request{}, err
	}
	return req, nil
}

// strictJSON is strictjson.Check with its refusal as an InvalidArgument
// error naming the field.
func strictJSON(data []byte) error {
	var e *strictjson.Error
	if err := strictjson.Check(data); !errors.As(err, &e) {
		return err
	}
	return pdp.InvalidField(e.Path, e.Msg)
}

// Query builds the query the server would evaluate for req at now: the
// server's defaults (empty objects, roles [], environment.time) applied.
func Query(req pdp.Request, now time.Time) pdp.Query {
	return pdp.Query{Entrypoint: req.Policy, Input: req.Input(now), Explain: req.Explain}
}

// caseQuery converts the input of a case.
func caseQuery(c Case, now time.Time) (pdp.Query, error) {
	data, err := json.Marshal(c.Input)
	if err != nil {
		return pdp.Query{}, fmt.Errorf("input: %w", err)
	}
	req, err := RequestFromJSON(data)
	if err != nil {
		return pdp.Query{}, fmt.Errorf("input: %w", err)
	}
	return Query(req, now), nil
}

// Mismatch compares a result with a case's expectation and describes every
// difference; empty means the case passes.
func (e Expect) Mismatch(res pdp.Result) []string {
	var out []string
	if res.Allow != *e.Allow {
		out = append(out, fmt.Sprintf("allow = %v, want %v (reasons %q)", res.Allow, *e.Allow, res.Reasons))
	}
	if e.Reasons != nil && !sameJSON(nonNil(res.Reasons), nonNil(*e.Reasons)) {
		out = append(out, fmt.Sprintf("reasons = %q, want %q", res.Reasons, *e.Reasons))
	}
	if e.Obligations != nil && !sameJSON(objOrEmpty(res.Obligations), objOrEmpty(*e.Obligations)) {
		out = append(out, fmt.Sprintf("obligations = %s, want %s", jsonString(res.Obligations), jsonString(*e.Obligations)))
	}
	if res.Err != "" {
		out = append(out, "evaluation error: "+res.Err)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func objOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// sameJSON compares two values as JSON documents (1 == 1.0).
func sameJSON(a, b any) bool {
	return canonical(a) == canonical(b)
}

func canonical(v any) string {
	var x any
	if err := json.Unmarshal([]byte(jsonString(v)), &x); err != nil {
		return jsonString(v)
	}
	return jsonString(x)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v3"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// decisionCase is one entry of a *.decisions.yaml file.
type decisionCase struct {
	Name   string         `yaml:"name"`
	Input  map[string]any `yaml:"input"`
	Expect struct {
		Allow       bool           `yaml:"allow"`
		Reasons     []string       `yaml:"reasons"`
		Obligations map[string]any `yaml:"obligations"`
	} `yaml:"expect"`
}

func loadCases(t *testing.T, path string) []decisionCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), path))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []decisionCase `yaml:"cases"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(file.Cases) < 20 {
		t.Fatalf("%s holds %d cases; want at least 20", path, len(file.Cases))
	}
	return file.Cases
}

// request converts the case's input (a CheckRequest in JSON form) to proto.
func (c decisionCase) request(t *testing.T) *pdpv1.CheckRequest {
	t.Helper()
	raw, err := json.Marshal(c.Input)
	if err != nil {
		t.Fatal(err)
	}
	req := &pdpv1.CheckRequest{}
	if err := protojson.Unmarshal(raw, req); err != nil {
		t.Fatalf("case %q: input is not a CheckRequest: %v", c.Name, err)
	}
	return req
}

// jsonEqual compares two values by their JSON encoding, so that numbers of
// different Go types compare by value.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return normJSON(t, a) == normJSON(t, b)
}

func normJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	norm, _ := json.Marshal(out)
	return string(norm)
}

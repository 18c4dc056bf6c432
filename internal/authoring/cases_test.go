package authoring_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
)

// TestLoadCasesReportsEveryMistake: every bad case of a file is reported,
// each at its line in the file under its field as written, with no Go type
// in the message.
func TestLoadCasesReportsEveryMistake(t *testing.T) {
	const file = `cases:
  - name: fine
    input: {subject: {id: a}, action: {name: read}}
    expect: {allow: true}
  - name: typo
    input: {subject: {id: a}}
    expect: {alow: true}
  - name: wrong kinds
    input: [a]
    expect:
      allow: yes please
      reasons: ok
  - input: {}
    expect: {allow: false}
    extra: 1
  - just a string
`
	path := filepath.Join(t.TempDir(), "bad.decisions.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := authoring.LoadCases(path)
	if err == nil {
		t.Fatal("LoadCases: want an error")
	}
	want := []string{
		":7: case 1: expect.alow: unknown field (want allow, reasons or obligations)",
		":7: case 1: expect.allow: required",
		":9: case 2: input: want a mapping (a CheckRequest), got a list",
		`:11: case 2: expect.allow: want true or false, got "yes please"`,
		`:12: case 2: expect.reasons: want a list of strings, got "ok"`,
		":15: case 3: extra: unknown field (want name, input or expect)",
		":13: case 3: name: required",
		`:16: case 4: (case): want a mapping with name, input and expect, got "just a string"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d mistakes reported, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), path+w+"\n") && !strings.HasSuffix(err.Error(), path+w) {
			t.Errorf("error lacks %q:\n%v", path+w, err)
		}
	}
	if strings.Contains(err.Error(), "authoring.") || strings.Contains(err.Error(), "!!") {
		t.Errorf("error names Go or YAML types:\n%v", err)
	}
}

// TestLoadCasesTopLevel: a file whose top level is not {cases: [...]} is
// named at its line.
func TestLoadCasesTopLevel(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"cases not a list": {"cases: {name: a}\n", ":1: cases: want a list of cases, got a mapping"},
		"unknown key":      {"cases: []\ncase: []\n", ":2: case: unknown field (want cases)"},
		"a list":           {"- name: a\n", ":1: (top level): want a mapping with one key, cases"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "top.decisions.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := authoring.LoadCases(path); err == nil || err.Error() != path+tc.want {
				t.Errorf("LoadCases = %v, want %s", err, path+tc.want)
			}
		})
	}
}

package authoring_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/pdp"
)

// TestRequestFromJSONRefusesWhatParsersDisagreeOn: the request of pdp eval
// (and of a decision case) is refused, naming the field, when it holds a
// key twice or a number beyond a 64-bit float.
func TestRequestFromJSONRefusesWhatParsersDisagreeOn(t *testing.T) {
	tests := map[string]struct{ doc, want string }{
		"duplicate subject id": {`{"subject":{"id":"alice","id":"mallory"},"action":{"name":"read"}}`,
			"subject.id: appears more than once in its object"},
		"duplicate attribute": {`{"subject":{"id":"a","attributes":{"level":1,"level":9}},"action":{"name":"read"}}`,
			"subject.attributes.level: appears more than once in its object"},
		"number beyond float64": {`{"subject":{"id":"a"},"action":{"name":"read"},"environment":{"n":1e999}}`,
			"environment.n: 1e999 is beyond the range of a 64-bit float"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := authoring.RequestFromJSON([]byte(tc.doc))
			if pdp.ErrorCode(err) != pdp.CodeInvalidArgument || err == nil || err.Error() != tc.want {
				t.Errorf("RequestFromJSON = %v, want InvalidArgument %q", err, tc.want)
			}
		})
	}
}

// TestLoadCasesNamesDuplicateKeys: a key written twice in a decision case
// is refused with the file's line and the field as written.
func TestLoadCasesNamesDuplicateKeys(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"in the input": {`cases:
  - name: first
    input: {subject: {id: alice}, action: {name: read}}
    expect: {allow: true}
  - name: second
    input:
      subject:
        id: alice
        id: mallory
      action: {name: read}
    expect: {allow: false}
`, ":9: case 1: input.subject.id: appears more than once in its mapping (first at line 8)"},
		"in the expectation": {`cases:
  - name: only
    input: {subject: {id: alice}, action: {name: read}}
    expect: {allow: true, reasons: [a], allow: false}
`, ":4: case 0: expect.allow: appears more than once in its mapping (first at line 4)"},
		"the name": {`cases:
  - name: one
    input: {subject: {id: alice}, action: {name: read}}
    expect: {allow: true}
    name: two
`, ":5: case 0: name: appears more than once in its mapping (first at line 2)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dup.decisions.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := authoring.LoadCases(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+tc.want) {
				t.Errorf("LoadCases = %v, want %q", err, path+tc.want)
			}
		})
	}
}

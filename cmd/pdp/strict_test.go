package main

import (
	"strings"
	"testing"
)

// TestRequestFilesRefuseDuplicateKeys: the request of pdp check (stdin) and
// pdp eval (--input) is refused, exit 2, naming the field that holds a key
// twice or a number beyond a 64-bit float.
func TestRequestFilesRefuseDuplicateKeys(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"check duplicate key", `{"subject":{"id":"alice","id":"mallory"},"action":{"name":"read"}}`, []string{"check", "--addr", "127.0.0.1:1"},
			"pdp: request on stdin: subject.id: appears more than once in its object\n"},
		{"check huge number", `{"subject":{"id":"a"},"action":{"name":"read"},"environment":{"n":-1e999}}`, []string{"check", "--addr", "127.0.0.1:1"},
			"pdp: request on stdin: environment.n: -1e999 is beyond the range of a 64-bit float\n"},
		{"eval duplicate key", "", []string{"eval", "--bundle", exampleBundle, "--input", "testdata/duplicate.json"},
			"pdp: --input testdata/duplicate.json: subject.id: appears more than once in its object\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runWith(tt.stdin, nil, tt.args...)
			if code != exitUsage || !strings.HasPrefix(errOut, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and:\n%s", code, errOut, tt.want)
			}
		})
	}
}

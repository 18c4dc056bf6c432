package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	exampleBundle = "../../bundles/example"
	garbagePEM    = "testdata/garbage.pem"
)

// runWith runs the command in-process with stdin and environ; a command
// that starts serving is stopped after a few seconds.
func runWith(stdin string, environ []string, args ...string) (code int, stdout, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, environ: environ}, args)
	return code, out.String(), errOut.String()
}

// TestServeConfigErrors: configuration errors exit 2 naming their flag, all
// reported together, before anything is written to the data directory.
func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    []string
	}{
		{"garbage tls files", nil, []string{"--bundle", exampleBundle, "--tls-cert", garbagePEM, "--tls-key", garbagePEM}, []string{"pdp: --tls-cert: "}},
		{"garbage jwks", nil, []string{"--bundle", exampleBundle, "--jwks-file", garbagePEM}, []string{"pdp: --jwks-file: "}},
		{"garbage audit key", nil, []string{"--bundle", exampleBundle, "--audit-signing-key", garbagePEM}, []string{"pdp: --audit-signing-key: "}},
		{"same bundle name", nil, []string{"--bundle", exampleBundle, "--bundle", "other/example"}, []string{`share the bundle name "example"`}},
		{"print-config checks too", nil, []string{"--print-config", "--bundle", exampleBundle, "--bundle-verification-key", garbagePEM}, []string{"pdp: --bundle-verification-key: "}},
		{"missing default bundle", nil, nil, []string{"pdp: --bundle: none given, and the default bundles/example was not found"}},
		{"data dir under a file", nil, []string{"--bundle", exampleBundle, "--data-dir", "testdata/request.json/data"},
			[]string{"pdp: --data-dir testdata/request.json/data: testdata/request.json is not a directory"}},
		{"data dir not writable", nil, []string{"--bundle", exampleBundle, "--data-dir", "/proc/pdp-data"}, []string{"pdp: --data-dir /proc/pdp-data: not writable: "}},
		{"missing bundle path", nil, []string{"--bundle", "no/such/bundle"}, []string{"pdp: --bundle no/such/bundle: no such file or directory"}},
		{"policy sources", nil, []string{"--bundle", "../../policies"}, []string{"pdp: --bundle ../../policies: a directory of policy sources, not a bundle",
			"Rego tests (authz/abac_test.rego, ", "nested bundles (authzen-search, authzen-todo)",
			"pdp bundle build ../../policies -o policies.tar.gz, then pdp serve --bundle policies.tar.gz"}},
		{"policy sources with tests", nil, []string{"--bundle", "../../policies/authzen-todo"}, []string{"Rego tests (authzen/todo/todo_test.rego)"}},
		{"every problem at once", []string{"PDP_CACHE_TTL=banana"}, []string{"--print-config", "--grpc-addr", "nope", "--log-level", "loud", "--max-batch", "x"},
			[]string{`--max-batch: "x" is not a whole number`, `PDP_CACHE_TTL: "banana" is not a duration`, "--bundle: none given", "--grpc-addr: ", "--log-level: "}},
		{"bad value in one line", nil, []string{"--bundle", exampleBundle, "--cache-ttl", "banana"}, []string{"pdp: --cache-ttl: \"banana\" is not a duration (e.g. 60s)\n"}},
		{"unknown flag", nil, []string{"--nope"}, []string{"pdp: flag provided but not defined: --nope (see pdp serve --help)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			code, out, errOut := runWith("", tt.environ, append([]string{"serve", "--data-dir", dataDir}, tt.args...)...)
			if code != exitUsage || out != "" {
				t.Errorf("exit %d, want 2; stdout:\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Count(errOut, "pdp:") != 1 || strings.Contains(errOut, "Usage") {
				t.Errorf("want one report and no usage:\n%s", errOut)
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("data dir written before the configuration was checked: %v", err)
			}
		})
	}
}

// oneDash matches a flag listed as -name.
var oneDash = regexp.MustCompile(`(?m)^\s+-[a-z]`)

// TestHelp: help goes to stdout, exit 0, flags written with two dashes.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"usage: pdp <command>", "serve", "pdp help <command>"}},
		{[]string{"--help"}, []string{"usage: pdp <command>"}},
		{[]string{"-h"}, []string{"usage: pdp <command>"}},
		{[]string{"serve", "--help"}, []string{"Usage: pdp serve", "  --cache-ttl duration"}},
		{[]string{"help", "serve"}, []string{"Usage: pdp serve"}},
		{[]string{"help", "help"}, []string{"usage: pdp <command>"}},
		{[]string{"check", "--help"}, []string{"Usage: pdp check [flags] < request.json", "  --addr address", "  --timeout duration"}},
		{[]string{"test", "-h"}, []string{"  --run regex", "  --v\n"}},
		{[]string{"audit", "--help"}, []string{"Usage: pdp audit query|show|verify|tail"}},
		{[]string{"audit", "show", "--help"}, []string{"DECISION_ID", "  --audit-db file"}},
		{[]string{"bundle", "-help"}, []string{"Usage: pdp bundle build|sign|inspect"}},
		{[]string{"bundle", "build", "--help"}, []string{"  --o file"}},
		{[]string{"replay", "--help"}, []string{"output format: table or json (JSON Lines)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runWith("", nil, tt.args...)
			if code != exitOK || errOut != "" {
				t.Errorf("exit %d, want 0; stderr:\n%s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if oneDash.MatchString(out) {
				t.Errorf("flags with one dash:\n%s", out)
			}
		})
	}
}

// TestUsageErrors: mistakes in arguments and input exit 2 with one line
// naming what is wrong, and no usage.
func TestUsageErrors(t *testing.T) {
	request, err := os.ReadFile("testdata/request.json")
	if err != nil {
		t.Fatal(err)
	}
	db, _ := cliTrail(t)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"bad value", "", []string{"check", "--timeout", "soon"}, `pdp: --timeout: "soon" is not a duration (e.g. 60s)` + "\n"},
		{"every bad value", "", []string{"audit", "query", "--limit", "x", "--timeout", "y"}, "pdp: --limit: \"x\" is not a whole number\n--timeout: \"y\" is not a duration (e.g. 60s)\n"},
		{"unknown flag", "", []string{"check", "--nope"}, "pdp: flag provided but not defined: --nope (see pdp check --help)\n"},
		{"eval malformed input", "", []string{"eval", "--bundle", exampleBundle, "--input", "testdata/malformed.json"}, "pdp: --input testdata/malformed.json: not a CheckRequest in JSON"},
		{"check extra argument", string(request), []string{"check", "foo"}, `pdp: check: unexpected argument "foo"`},
		{"test bad --run", "", []string{"test", "--run", "(", "../../policies"}, `pdp: --run "(": not a regular expression`},
		{"query extra argument", "", []string{"audit", "query", "--audit-db", db, "extra"}, `pdp: audit query: unexpected argument "extra"`},
		{"verify extra argument", "", []string{"audit", "verify", "--audit-db", db, "extra"}, `pdp: audit verify: unexpected argument "extra"`},
		{"addr and audit-db", "", []string{"audit", "query", "--audit-db", db, "--addr", "127.0.0.1:1"}, "pdp: --addr and --audit-db are alternatives"},
		{"replay addr and audit-db", "", []string{"replay", "--bundle", exampleBundle, "--audit-db", db, "--addr", "127.0.0.1:1"}, "pdp: --addr and --audit-db are alternatives"},
		{"negative after-seq", "", []string{"audit", "tail", "--audit-db", db, "--after-seq", "-5"}, "pdp: --after-seq -5: must not be negative"},
		{"show two ids", "", []string{"audit", "show", "--audit-db", db, "a", "b"}, `pdp: audit show: unexpected argument "b"`},
		{"lint a file that is not Rego", "", []string{"lint", "testdata/request.json"}, "pdp: lint: testdata/request.json is not a directory or a .rego file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runWith(tt.stdin, nil, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.HasPrefix(errOut, tt.want) || strings.Contains(errOut, "Usage") {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", errOut, tt.want)
			}
		})
	}
}

// TestAuditShowFlagsAfterID: flags may follow the decision id.
func TestAuditShowFlagsAfterID(t *testing.T) {
	db, recs := cliTrail(t)
	id := recs[4].DecisionID
	code, out, errOut := runWith("", nil, "audit", "show", "--audit-db", db, id, "--format", "json")
	if code != exitOK || !strings.HasPrefix(out, `{"`) || !strings.Contains(out, `"decision_id":"`+id+`"`) {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"
)

// conformanceDir holds the AuthZEN interop vectors: $AUTHZEN_CONFORMANCE_DIR,
// else shared/conformance/authzen beside the repository.
func conformanceDir(t *testing.T) string {
	t.Helper()
	for _, dir := range []string{
		os.Getenv("AUTHZEN_CONFORMANCE_DIR"),
		filepath.Join(repoRoot(), "..", "shared", "conformance", "authzen"),
		// A verbatim copy (see its SOURCES.txt), so that a checkout
		// without the shared folder still runs every vector.
		filepath.Join(repoRoot(), "test", "e2e", "testdata", "authzen"),
	} {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	t.Fatal("AuthZEN conformance data missing")
	return ""
}

// vector is one interop case: a request and what the runners expect.
type vector struct {
	Request  map[string]any  `json:"request"`
	Expected json.RawMessage `json:"expected"`
}

// suite is one key of one vector file, e.g. todo-01 or search-action.
type suite struct {
	name    string
	bundle  string
	vectors []vector
}

// loadSuites reads every vector file under dir. Todo and gateway vectors
// are served by bundles/authzen-todo, the others by bundles/authzen-search.
func loadSuites(t *testing.T, dir string) []suite {
	t.Helper()
	var out []suite
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, fileSuites(t, path, filepath.ToSlash(rel))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSuites(t *testing.T, path, rel string) []suite {
	t.Helper()
	var file map[string]json.RawMessage
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &file) != nil {
		return nil // not a vector file (e.g. a list of users)
	}
	var out []suite
	for _, key := range []string{"decisions", "evaluation", "evaluations", "search"} {
		var vs []vector
		if json.Unmarshal(file[key], &vs) != nil || len(vs) == 0 || vs[0].Request == nil {
			continue
		}
		out = append(out, suite{name: suiteName(rel, key), bundle: bundleFor(rel), vectors: vs})
	}
	return out
}

// suiteName: todo/decisions-authorization-api-1_0-01.json -> todo-01,
// search/action/results.json -> search-action, idp/results.json -> idp.
func suiteName(rel, key string) string {
	dir, file := filepath.Split(rel)
	name := strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-")
	base := strings.TrimSuffix(file, ".json")
	if i := strings.LastIndex(base, "-"); i >= 0 {
		name += base[i:]
	} else if base != "results" {
		name += "-" + base
	}
	if key == "evaluations" {
		name += "-batch"
	}
	return name
}

func bundleFor(rel string) string {
	if strings.Contains(rel, "todo") || strings.Contains(rel, "gateway") {
		return "bundles/authzen-todo"
	}
	return "bundles/authzen-search"
}

// TestAuthZENConformance replays every vector against the running binary
// and compares as the interop runners do: decision booleans; search results
// as sets. Each suite's count is logged, and named in any failure.
func TestAuthZENConformance(t *testing.T) {
	suites := loadSuites(t, conformanceDir(t))
	if len(suites) == 0 {
		t.Fatal("no AuthZEN vectors found")
	}
	pdps := map[string]*pdpProc{}
	for _, s := range suites {
		if pdps[s.bundle] == nil {
			pdps[s.bundle] = startPDP(t, true, "--bundle", s.bundle)
		}
	}
	decided := map[string]int{}
	for _, s := range suites {
		passed, n := 0, 0
		for i, v := range s.vectors {
			ok, count := replay(t, pdps[s.bundle], v)
			if ok {
				passed++
			} else {
				t.Errorf("authzen %s[%d]: request %s: want %s", s.name, i, mustJSON(t, v.Request), v.Expected)
			}
			n += count
		}
		decided[s.bundle] += n
		msg := fmt.Sprintf("authzen %s: %d/%d", s.name, passed, len(s.vectors))
		if passed != len(s.vectors) {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	assertTodoAudited(t, pdps["bundles/authzen-todo"], decided["bundles/authzen-todo"])
}

// replay sends one vector and reports whether the answer matches, and how
// many decisions it asked for (0 for searches).
func replay(t *testing.T, p *pdpProc, v vector) (bool, int) {
	t.Helper()
	var want any
	if err := json.Unmarshal(v.Expected, &want); err != nil {
		t.Fatal(err)
	}
	switch w := want.(type) {
	case bool:
		_, body := p.postJSON(t, "/access/v1/evaluation", v.Request, "")
		return body["decision"] == w, 1
	case []any:
		_, body := p.postJSON(t, "/access/v1/evaluations", v.Request, "")
		return mustJSON(t, decisions(body["evaluations"])) == mustJSON(t, decisions(w)), len(w)
	case map[string]any:
		_, body := p.postJSON(t, searchPath(v.Request), v.Request, "")
		return sortedJSON(t, body["results"]) == sortedJSON(t, w["results"]), 0
	}
	t.Fatalf("unknown expectation %s", v.Expected)
	return false, 0
}

func decisions(v any) []any {
	list, _ := v.([]any)
	out := make([]any, len(list))
	for i, e := range list {
		m, _ := e.(map[string]any)
		out[i] = m["decision"]
	}
	return out
}

// searchPath picks the search by what the request leaves open.
func searchPath(req map[string]any) string {
	s, _ := req["subject"].(map[string]any)
	switch {
	case req["action"] == nil:
		return "/access/v1/search/action"
	case s["id"] == nil:
		return "/access/v1/search/subject"
	default:
		return "/access/v1/search/resource"
	}
}

func sortedJSON(t *testing.T, v any) string {
	list, _ := v.([]any)
	items := make([]string, len(list))
	for i, e := range list {
		items[i] = mustJSON(t, e)
	}
	slices.Sort(items)
	return "[" + strings.Join(items, ",") + "]"
}

// assertTodoAudited checks that every evaluation left one audit record.
func assertTodoAudited(t *testing.T, p *pdpProc, want int) {
	t.Helper()
	if p == nil {
		return
	}
	if got := countRows(t, p.auditDB(t)); got != want {
		t.Errorf("todo PDP: %d audit records, want %d (one per evaluation)", got, want)
	}
}

// postJSON posts v to path on the HTTP port, with an X-Request-ID when
// reqID is set; it returns the status and the JSON object answered.
func (p *pdpProc) postJSON(t *testing.T, path string, v any, reqID string) (*http.Response, map[string]any) {
	t.Helper()
	body, ok := v.(string)
	if !ok {
		body = mustJSON(t, v)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+p.httpAddr+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if reqID != "" {
		req.Header.Set("X-Request-ID", reqID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d, body not a JSON object: %v", path, resp.StatusCode, err)
	}
	return resp, out
}

// TestAuthZENEdges checks, on the binary, what the conformance vectors do
// not: malformed requests, the discovery document, and ext_authz wiring.
func TestAuthZENEdges(t *testing.T) {
	p := startPDP(t, true, "--bundle", "bundles/authzen-todo")
	for i, body := range []string{`{`, `{"subject":{"type":"user"},"action":{"name":"a"},"resource":{"type":"t","id":"1"}}`, `[]`} {
		resp, out := p.postJSON(t, "/access/v1/evaluation", body, fmt.Sprint("rid-", i))
		if resp.StatusCode != http.StatusBadRequest || out["error"] == nil || resp.Header.Get("X-Request-ID") != fmt.Sprint("rid-", i) {
			t.Errorf("%s: got %d %v (X-Request-ID %q), want 400 with an error and the id echoed",
				body, resp.StatusCode, out, resp.Header.Get("X-Request-ID"))
		}
	}
	code, raw := p.get("/.well-known/authzen-configuration")
	var disc map[string]any
	if err := json.Unmarshal(raw, &disc); code != http.StatusOK || err != nil || disc["policy_decision_point"] != "http://"+p.httpAddr {
		t.Errorf("discovery: %d %s", code, raw)
	}
	assertExtAuthzDenies(t, p)
}

func assertExtAuthzDenies(t *testing.T, p *pdpProc) {
	t.Helper()
	client := authv3.NewAuthorizationClient(dial(t, p.grpcAddr))
	resp, err := client.Check(context.Background(), &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{Method: "DELETE", Path: "/todos/1"}},
	}})
	if err != nil {
		t.Fatalf("ext_authz Check: %v", err)
	}
	if codes.Code(resp.GetStatus().GetCode()) != codes.PermissionDenied || resp.GetDeniedResponse().GetStatus().GetCode() != 403 {
		t.Fatalf("ext_authz: got %v, want a 403 denial", resp)
	}
	if n := countRows(t, p.auditDB(t)); n != 1 {
		t.Fatalf("ext_authz decision: %d audit rows, want 1", n)
	}
}

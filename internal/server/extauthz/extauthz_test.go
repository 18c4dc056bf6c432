package extauthz_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	opabundle "github.com/open-policy-agent/opa/v1/bundle"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/server/extauthz"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newClient serves ext_authz on the PDP's real gRPC server over bufconn,
// deciding with the real engine on testdata/gateway and auditing in memory.
// With bundleDir "" no bundle is active.
func newClient(t *testing.T, bundleDir string) (authv3.AuthorizationClient, *audittest.Memory) {
	return newClientWith(t, bundleDir, server.GRPCOptions{Authorizer: allowAll{}})
}

// newClientWith is newClient on a server built with opts (Checker set here).
func newClientWith(t *testing.T, bundleDir string, opts server.GRPCOptions) (authv3.AuthorizationClient, *audittest.Memory) {
	t.Helper()
	eng := engine.New(engine.Options{})
	if bundleDir != "" {
		activate(t, eng, bundleDir)
	}
	mem := audittest.NewMemory()
	w := audit.NewWriter(mem, audit.WriterOptions{})
	svc := decision.New(decision.Options{Evaluator: eng, Recorder: w})
	opts.Checker, opts.Logger = svc, slog.New(slog.DiscardHandler)
	g := server.NewGRPC(opts)
	extauthz.New(svc, nil).Register(g.Server)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		_ = w.Close()
	})
	return authv3.NewAuthorizationClient(conn), mem
}

// allowAll lets every call through: who may call the PDP is not what
// these tests are about.
type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, bool) error { return nil }

func activate(t *testing.T, eng *engine.Engine, dir string) {
	t.Helper()
	b, err := bundle.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Activate(context.Background(), map[string]*opabundle.Bundle{"gateway": b}); err != nil {
		t.Fatal(err)
	}
}

func httpCheck(method, path, principal string, headers map[string]string) *authv3.CheckRequest {
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{Principal: principal, Address: &corev3.Address{
			Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "10.0.0.7"}}}},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: method, Path: path, Host: "api.example", Scheme: "https", Protocol: "HTTP/2", Headers: headers,
		}},
		ContextExtensions: map[string]string{"route": "r1"},
	}}
}

// outcome flattens a CheckResponse: gRPC status code, HTTP status of a
// denial (0 when allowed), and the headers set, as name=value.
type outcome struct {
	code    codes.Code
	status  int
	headers map[string]string
}

func flatten(r *authv3.CheckResponse) outcome {
	o := outcome{code: codes.Code(r.GetStatus().GetCode()), headers: map[string]string{}}
	hs := r.GetOkResponse().GetHeaders()
	if d := r.GetDeniedResponse(); d != nil {
		o.status, hs = int(d.GetStatus().GetCode()), d.GetHeaders()
	}
	for _, h := range hs {
		o.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
	}
	return o
}

func TestCheck(t *testing.T) {
	client, mem := newClient(t, "testdata/gateway")
	tests := []struct {
		name    string
		req     *authv3.CheckRequest
		want    outcome
		audited bool
	}{
		{"allowed with obligation headers",
			httpCheck("GET", "/public/a%20b?x=1", "spiffe://acme/web", map[string]string{"X-Tenant": "acme", "authorization": "Bearer s3cret"}),
			outcome{codes.OK, 0, map[string]string{"x-pdp-subject": "spiffe://acme/web", "x-route": "/public/a b"}}, true},
		{"denied 403 by default",
			httpCheck("POST", "/public/a", "spiffe://acme/web", map[string]string{"x-tenant": "acme"}),
			outcome{codes.PermissionDenied, 403, nil}, true},
		{"denied with the status and headers of the obligations",
			httpCheck("GET", "/private/x", "", nil),
			outcome{codes.PermissionDenied, 401, map[string]string{"www-authenticate": "Bearer"}}, true},
		{"header subject when there is no principal",
			httpCheck("GET", "/public/a", "", map[string]string{"x-subject-id": "alice", "x-tenant": "acme"}),
			outcome{codes.OK, 0, map[string]string{"x-pdp-subject": "alice", "x-route": "/public/a"}}, true},
		{"malformed: no HTTP attributes", &authv3.CheckRequest{},
			outcome{codes.InvalidArgument, 403, nil}, false},
		{"malformed: no method", httpCheck("", "/public/a", "", nil),
			outcome{codes.InvalidArgument, 403, nil}, false},
		{"dot segments do not escape /public/", httpCheck("GET", "/public/%2e%2e/private/x", "", nil),
			outcome{codes.PermissionDenied, 401, map[string]string{"www-authenticate": "Bearer"}}, true},
		{"malformed: over 1 MiB", httpCheck("GET", "/public/a", "", map[string]string{"x-big": strings.Repeat("a", 1<<20)}),
			outcome{codes.InvalidArgument, 403, nil}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(mem.Records())
			resp, err := client.Check(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := flatten(resp)
			id := got.headers[extauthz.DecisionHeader]
			delete(got.headers, extauthz.DecisionHeader)
			if got.code != tc.want.code || got.status != tc.want.status || !sameHeaders(got.headers, tc.want.headers) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			recs := mem.Records()[before:]
			if !tc.audited {
				if len(recs) != 0 || id != "" {
					t.Fatalf("a malformed request is not a decision: %d records, id %q", len(recs), id)
				}
				return
			}
			if len(recs) != 1 || recs[0].DecisionID != id {
				t.Fatalf("want one audit record with the decision id %q, got %d", id, len(recs))
			}
			assertNoSecrets(t, recs[0])
		})
	}
}

// refuser refuses every call, as a rate limit or the system policy may.
type refuser struct{}

func (refuser) Allow(string) bool { return false }
func (refuser) Authorize(context.Context, string, string, bool) error {
	return pdp.Errorf(pdp.CodePermissionDenied, "not allowed")
}

// TestRefusedCallsAreDenials: a call refused before it reaches Check is a
// denial, not an error that Envoy's failure_mode_allow would let through.
func TestRefusedCallsAreDenials(t *testing.T) {
	tests := []struct {
		name string
		opts server.GRPCOptions
		want outcome
	}{
		{"rate limit", server.GRPCOptions{Authorizer: allowAll{}, Limiter: refuser{}}, outcome{codes.ResourceExhausted, 429, nil}},
		{"system policy", server.GRPCOptions{Authorizer: refuser{}}, outcome{codes.PermissionDenied, 403, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Outer = []grpc.UnaryServerInterceptor{extauthz.FailClosed(nil)}
			client, mem := newClientWith(t, "testdata/gateway", tc.opts)
			resp, err := client.Check(context.Background(), httpCheck("GET", "/public/a", "spiffe://acme/web", nil))
			if err != nil {
				t.Fatalf("Check returned an error, which fails open under failure_mode_allow: %v", err)
			}
			if got := flatten(resp); got.code != tc.want.code || got.status != tc.want.status || len(mem.Records()) != 0 {
				t.Errorf("got %+v with %d records, want %+v and none", got, len(mem.Records()), tc.want)
			}
		})
	}
}

func sameHeaders(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func assertNoSecrets(t *testing.T, rec pdp.Record) {
	t.Helper()
	res := rec.Input["resource"].(map[string]any)
	headers := res["attributes"].(map[string]any)["headers"].(map[string]any)
	if _, ok := headers["authorization"]; ok {
		t.Fatal("the authorization header reached the input document")
	}
}

func TestInputMapping(t *testing.T) {
	client, mem := newClient(t, "testdata/gateway")
	_, err := client.Check(context.Background(), httpCheck("GET", "/public/q?a=1", "spiffe://acme/web", map[string]string{"X-Tenant": "acme"}))
	if err != nil {
		t.Fatal(err)
	}
	in := mem.Records()[0].Input
	want := map[string]string{
		"subject":  `{"attributes":{"address":"10.0.0.7","principal":"spiffe://acme/web"},"id":"spiffe://acme/web","roles":[],"type":"principal"}`,
		"resource": `{"attributes":{"destination":"","headers":{"x-tenant":"acme"},"host":"api.example","path":"/public/q","query":"a=1","scheme":"https"},"id":"/public/q","type":"http"}`,
		"action":   `{"attributes":{"protocol":"HTTP/2"},"name":"GET"}`,
	}
	for k, w := range want {
		if got := mustJSON(t, in[k]); got != w {
			t.Errorf("%s = %s\nwant %s", k, got, w)
		}
	}
	if ext := mustJSON(t, in["environment"].(map[string]any)["context_extensions"]); ext != `{"route":"r1"}` {
		t.Errorf("context_extensions = %s", ext)
	}
}

func TestNoDecisionFailsClosed(t *testing.T) {
	client, mem := newClient(t, "")
	resp, err := client.Check(context.Background(), httpCheck("GET", "/public/a", "", map[string]string{"x-tenant": "acme"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := flatten(resp); got.code != codes.Unavailable || got.status != 503 {
		t.Fatalf("got %+v, want a 503 denial with status UNAVAILABLE", got)
	}
	if n := len(mem.Records()); n != 0 {
		t.Fatalf("%d records without a decision", n)
	}
}

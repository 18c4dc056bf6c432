package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
)

// fakePlanner answers one plan (or error) and counts the requests.
type fakePlanner struct {
	mu   sync.Mutex
	plan pdp.ResourcePlan
	err  error
	reqs []pdp.Request
}

func (p *fakePlanner) Plan(_ context.Context, req pdp.Request) (pdp.ResourcePlan, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	if p.err != nil {
		return pdp.ResourcePlan{}, "", p.err
	}
	return p.plan, "plan-1", nil
}

// fakeWhere writes "<col> = ?" for an eq on a field, TRUE/FALSE otherwise,
// and fails on the column name "boom".
func fakeWhere(kind pdp.PlanKind, c *pdp.Condition, dialect string, columns map[string]string) (string, []any, error) {
	switch kind {
	case pdp.PlanAlwaysAllowed:
		return "TRUE", nil, nil
	case pdp.PlanAlwaysDenied:
		return "FALSE", nil, nil
	}
	col := columns[c.Operands[0].Field]
	if col == "" {
		col = strings.TrimPrefix(c.Operands[0].Field, "resource.attributes.")
	}
	if col == "boom" {
		return "", nil, errors.New("cannot write")
	}
	return fmt.Sprintf("%s:%q = ?", dialect, col), []any{c.Operands[1].Value}, nil
}

// methodGate refuses one method and records every method it is asked.
type methodGate struct {
	mu      sync.Mutex
	refuse  string
	methods []string
}

func (g *methodGate) Authorize(_ context.Context, method, caller string, _ bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.methods = append(g.methods, method)
	if method == g.refuse {
		return pdp.Errorf(pdp.CodePermissionDenied, "caller %q may not call %s", caller, method)
	}
	return nil
}

func planClient(t *testing.T, p server.Planner, gate server.Authorizer) pdpv1.AuthorizationServiceClient {
	t.Helper()
	g := server.NewGRPC(server.GRPCOptions{Planner: p, Where: fakeWhere, Authorizer: gate, Logger: slog.New(slog.DiscardHandler)})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); g.Stop() })
	return pdpv1.NewAuthorizationServiceClient(conn)
}

func ownerPlan() pdp.ResourcePlan {
	return pdp.ResourcePlan{Kind: pdp.PlanConditional, BundleRevision: "r1", Condition: &pdp.Condition{
		Op: pdp.OpEq, Operands: []pdp.Operand{{Field: "resource.attributes.owner"}, {Value: "alice"}}}}
}

func planRequest(dialect string, columns map[string]string) *pdpv1.PlanResourcesRequest {
	return &pdpv1.PlanResourcesRequest{Subject: &pdpv1.Subject{Id: "alice"}, ResourceType: "doc",
		Action: &pdpv1.Action{Name: "read"}, SqlDialect: dialect, Columns: columns}
}

func TestPlanResources(t *testing.T) {
	tests := []struct {
		name    string
		plan    pdp.ResourcePlan
		in      *pdpv1.PlanResourcesRequest
		kind    pdpv1.PlanKind
		sql     string
		args    []any
		hasCond bool
	}{
		{"conditional without SQL", ownerPlan(), planRequest("", nil), pdpv1.PlanKind_PLAN_KIND_CONDITIONAL, "", nil, true},
		{"conditional in sqlite", ownerPlan(), planRequest("sqlite", nil), pdpv1.PlanKind_PLAN_KIND_CONDITIONAL,
			`sqlite:"owner" = ?`, []any{"alice"}, true},
		{"column override in postgres", ownerPlan(),
			planRequest("postgres", map[string]string{"resource.attributes.owner": "owner_id"}),
			pdpv1.PlanKind_PLAN_KIND_CONDITIONAL, `postgres:"owner_id" = ?`, []any{"alice"}, true},
		{"always allowed", pdp.ResourcePlan{Kind: pdp.PlanAlwaysAllowed}, planRequest("sqlite", nil),
			pdpv1.PlanKind_PLAN_KIND_ALWAYS_ALLOWED, "TRUE", []any{}, false},
		{"always denied", pdp.ResourcePlan{Kind: pdp.PlanAlwaysDenied}, planRequest("", nil),
			pdpv1.PlanKind_PLAN_KIND_ALWAYS_DENIED, "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := planClient(t, &fakePlanner{plan: tc.plan}, &methodGate{})
			resp, err := c.PlanResources(ctx(t), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetKind() != tc.kind || resp.GetSql() != tc.sql || resp.GetDecisionId() != "plan-1" ||
				resp.GetBundleRevision() != tc.plan.BundleRevision || (resp.GetCondition() != nil) != tc.hasCond {
				t.Fatalf("response %v", resp)
			}
			if got := resp.GetSqlArgs().AsSlice(); tc.args != nil && fmt.Sprint(got) != fmt.Sprint(tc.args) {
				t.Fatalf("sql_args = %v, want %v", got, tc.args)
			}
			if tc.hasCond && resp.GetCondition().GetOperands()[0].GetField() != "resource.attributes.owner" {
				t.Fatalf("condition %v", resp.GetCondition())
			}
		})
	}
}

// TestPlanResourcesRefusals: bad SQL options are refused before anything is
// planned, naming the field; refusals of the planner and of the SQL writer
// keep their meaning.
func TestPlanResourcesRefusals(t *testing.T) {
	refused := pdp.Errorf(pdp.CodeFailedPrecondition, "rule authz.allow: cannot express walk(input)")
	tests := []struct {
		name    string
		planErr error
		in      *pdpv1.PlanResourcesRequest
		code    codes.Code
		msg     string
		planned bool
	}{
		{"unknown dialect", nil, planRequest("mysql", nil), codes.InvalidArgument, "sql_dialect: ", false},
		{"columns without dialect", nil, planRequest("", map[string]string{"resource.id": "x"}), codes.InvalidArgument, "columns: ", false},
		{"column of no resource field", nil, planRequest("sqlite", map[string]string{"subject.id": "x"}),
			codes.InvalidArgument, `columns["subject.id"]: `, false},
		{"empty attribute name", nil, planRequest("sqlite", map[string]string{"resource.attributes.": "x"}),
			codes.InvalidArgument, `columns["resource.attributes."]: `, false},
		{"empty column", nil, planRequest("sqlite", map[string]string{"resource.id": ""}),
			codes.InvalidArgument, `columns["resource.id"]: names no column`, false},
		{"plan refused", refused, planRequest("sqlite", nil), codes.FailedPrecondition, "rule authz.allow", true},
		{"SQL cannot be written", nil, planRequest("sqlite", map[string]string{"resource.attributes.owner": "boom"}),
			codes.FailedPrecondition, "cannot be written as SQL", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakePlanner{plan: ownerPlan(), err: tc.planErr}
			_, err := planClient(t, p, &methodGate{}).PlanResources(ctx(t), tc.in)
			st := status.Convert(err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("status %v %q, want %v with %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if planned := len(p.reqs) > 0; planned != tc.planned {
				t.Fatalf("planned = %v, want %v", planned, tc.planned)
			}
		})
	}
}

// TestPlanResourcesIsAuthorized: the method is put to the authorizer like
// Check; refused, the call never reaches the planner.
func TestPlanResourcesIsAuthorized(t *testing.T) {
	p := &fakePlanner{plan: ownerPlan()}
	gate := &methodGate{refuse: pdpv1.AuthorizationService_PlanResources_FullMethodName}
	_, err := planClient(t, p, gate).PlanResources(ctx(t), planRequest("", nil))
	if status.Code(err) != codes.PermissionDenied || len(p.reqs) != 0 {
		t.Fatalf("PlanResources = %v after %d plans, want PermissionDenied and none", err, len(p.reqs))
	}
	if len(gate.methods) != 1 || gate.methods[0] != "/pdp.v1.AuthorizationService/PlanResources" {
		t.Fatalf("authorizer asked %v", gate.methods)
	}
}

func TestPlanResourcesWithoutPlanner(t *testing.T) {
	_, err := planClient(t, nil, &methodGate{}).PlanResources(ctx(t), planRequest("", nil))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("PlanResources = %v, want Unavailable", err)
	}
}

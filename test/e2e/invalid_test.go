package e2e

import (
	"database/sql"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

func validRequest() *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{
		Subject:  &pdpv1.Subject{Type: "user", Id: "alice", Roles: []string{"viewer"}},
		Resource: &pdpv1.Resource{Type: "document", Id: "d1"},
		Action:   &pdpv1.Action{Name: "read"},
	}
}

func nested(depth int) *structpb.Struct {
	v := map[string]any{"leaf": true}
	for range depth {
		v = map[string]any{"n": v}
	}
	s, _ := structpb.NewStruct(v)
	return s
}

// TestMalformedRequests: each gets InvalidArgument naming the field, and no
// decision row.
func TestMalformedRequests(t *testing.T) {
	p := startPDP(t, true)
	db := p.auditDB(t)
	tests := []struct {
		name  string
		mod   func(r *pdpv1.CheckRequest)
		field string
	}{
		{"no subject id", func(r *pdpv1.CheckRequest) { r.Subject.Id = "" }, "subject.id"},
		{"no subject", func(r *pdpv1.CheckRequest) { r.Subject = nil }, "subject.id"},
		{"no resource type", func(r *pdpv1.CheckRequest) { r.Resource.Type = "" }, "resource.type"},
		{"no action name", func(r *pdpv1.CheckRequest) { r.Action = nil }, "action.name"},
		{"too deep", func(r *pdpv1.CheckRequest) { r.Resource.Attributes = nested(40) }, "resource.attributes"},
		{"too large", func(r *pdpv1.CheckRequest) {
			r.Environment, _ = structpb.NewStruct(map[string]any{"blob": strings.Repeat("x", 1<<20)})
		}, "request"},
		{"unknown policy", func(r *pdpv1.CheckRequest) { r.Policy = "nope/decision" }, "policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := countRows(t, db)
			req := validRequest()
			tc.mod(req)
			_, err := p.client.Check(ctxT(t), req)
			assertInvalid(t, err, tc.field)
			if after := countRows(t, db); after != before {
				t.Errorf("rejected request left %d rows", after-before)
			}
		})
	}
}

func TestMalformedBatch(t *testing.T) {
	p := startPDP(t, true)
	bad := validRequest()
	bad.Action.Name = ""
	_, err := p.client.CheckBatch(ctxT(t), &pdpv1.CheckBatchRequest{Checks: []*pdpv1.CheckRequest{validRequest(), validRequest(), validRequest(), bad}})
	assertInvalid(t, err, "checks[3].action.name")
	big := &pdpv1.CheckBatchRequest{}
	for range 101 {
		big.Checks = append(big.Checks, validRequest())
	}
	_, err = p.client.CheckBatch(ctxT(t), big)
	assertInvalid(t, err, "checks")
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), field) {
		t.Errorf("got %v %q; want InvalidArgument naming %q", st.Code(), st.Message(), field)
	}
}

func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM decisions`).Scan(&n); err != nil {
		t.Fatalf("count decisions: %v", err)
	}
	return n
}

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// Secrets the mask rule erases; none may appear anywhere on disk.
const (
	secretSSN  = "987-65-4321-SECRET"
	secretCard = "4111-1111-1111-SECRET"
)

const maskRule = `package system.log

masks := {"/input/subject/attributes/ssn",
	{"op": "upsert", "path": "/input/resource/attributes/card", "value": "****"}}

mask := masks if input.input.resource.id != "boom"

# Two values for one complete rule: an evaluation error for resource "boom".
mask := {"/input/x"} if input.input.resource.id == "boom"
mask := {"/input/y"} if input.input.resource.id == "boom"
`

// TestAuditMasking: a bundle's data.system.log.mask erases attributes before
// the record is written (their values appear nowhere in the database
// files), the record lists what was masked, and a failing mask rule erases
// the whole input but the decision is still recorded and flagged.
func TestAuditMasking(t *testing.T) {
	sys := t.TempDir()
	writeFile(t, filepath.Join(sys, ".manifest"), `{"revision": "sys-1", "roots": ["system"]}`)
	writeFile(t, filepath.Join(sys, "system", "log", "mask.rego"), maskRule)
	dir := t.TempDir()
	p := startPDP(t, true, "--data-dir", dir, "--bundle", "bundles/example", "--bundle", sys, "--auditors", "local")
	ok := maskedCheck(t, p, "d3")
	boom := maskedCheck(t, p, "boom")

	out, code := runPDP(t, "", "audit", "show", "--addr", p.grpcAddr, "--format", "json", ok.GetDecisionId())
	if code != 0 {
		t.Fatalf("audit show: exit %d\n%s", code, out)
	}
	var rec struct {
		Input     map[string]any `json:"input"`
		Masked    []string       `json:"masked"`
		MaskError bool           `json:"mask_error"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("show output %q: %v", out, err)
	}
	slices.Sort(rec.Masked)
	card := rec.Input["resource"].(map[string]any)["attributes"].(map[string]any)["card"]
	if !slices.Equal(rec.Masked, []string{"/input/resource/attributes/card", "/input/subject/attributes/ssn"}) ||
		rec.MaskError || card != "****" {
		t.Errorf("masked record: masked %v, mask_error %v, card %v", rec.Masked, rec.MaskError, card)
	}
	assertMaskFailureRecorded(t, p, boom.GetDecisionId())
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	assertNotOnDisk(t, dir, secretSSN, secretCard)
}

func maskedCheck(t *testing.T, p *pdpProc, resourceID string) *pdpv1.CheckResponse {
	t.Helper()
	req := validRequest()
	req.Subject.Attributes, _ = structpb.NewStruct(map[string]any{"ssn": secretSSN, "department": "eng"})
	req.Resource.Id = resourceID
	req.Resource.Attributes, _ = structpb.NewStruct(map[string]any{"card": secretCard})
	resp, err := p.client.Check(ctxT(t), req)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return resp
}

func assertMaskFailureRecorded(t *testing.T, p *pdpProc, id string) {
	t.Helper()
	audit := pdpv1.NewAuditServiceClient(dial(t, p.grpcAddr))
	resp, err := audit.GetDecision(ctxT(t), &pdpv1.GetDecisionRequest{DecisionId: id})
	if err != nil {
		t.Fatalf("GetDecision: %v", err)
	}
	r := resp.GetRecord()
	if !r.GetMaskError() || len(r.GetInput().GetFields()) != 0 || r.GetSubjectId() == "" {
		t.Errorf("failed mask rule: mask_error %v, input %v; want flagged, input erased, record kept", r.GetMaskError(), r.GetInput())
	}
	_, err = audit.GetDecision(ctxT(t), &pdpv1.GetDecisionRequest{DecisionId: "no-such-id"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetDecision of an unknown id: %v, want NotFound", err)
	}
}

// assertNotOnDisk greps every file under dir (database, WAL, exports).
func assertNotOnDisk(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a directory
		}
		names = append(names, e.Name())
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the masked value %q", e.Name(), s)
			}
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "audit.db") }) {
		t.Fatalf("no audit database in %s (%v)", dir, names)
	}
}

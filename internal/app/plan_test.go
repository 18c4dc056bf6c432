package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
	"github.com/pdp-project/pdp/internal/config"
)

// documents are resources of the example bundle, each with the
// sensitivity it states (nil: none).
var documents = []struct {
	id          string
	sensitivity any
}{
	{"d0", 0}, {"d1", 1}, {"d2", 2}, {"d3", 3}, {"dx", "secret"}, {"dn", nil}, {"d1b", 1.0},
}

// aliceReads asks which documents alice (viewer, clearance 1, on a trusted
// network) may read.
func aliceReads(dialect string) *pdpv1.PlanResourcesRequest {
	attrs, _ := structpb.NewStruct(map[string]any{"clearance": 1, "department": "eng"})
	env, _ := structpb.NewStruct(map[string]any{"ip": "10.1.2.3"})
	return &pdpv1.PlanResourcesRequest{
		Subject:      &pdpv1.Subject{Type: "user", Id: "alice", Roles: []string{"viewer"}, Attributes: attrs},
		ResourceType: "document", Action: &pdpv1.Action{Name: "read"}, Environment: env, SqlDialect: dialect,
	}
}

// TestPlanResourcesIsAnsweredAndAudited: PlanResources on the example
// bundle answers a condition and its SQL, the SQL selects exactly the
// documents Check allows, and the plan's record (kind plan, with the
// condition) is in the trail under the answer's decision id.
func TestPlanResourcesIsAnsweredAndAudited(t *testing.T) {
	r := startWith(t, func(c *config.Config) { c.Authz.Auditors = []string{"local"} }, nil)
	defer r.stop(t)
	ctx := context.Background()
	plan, err := r.client.PlanResources(ctx, aliceReads("sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if plan.GetKind() != pdpv1.PlanKind_PLAN_KIND_CONDITIONAL || plan.GetCondition() == nil ||
		!strings.Contains(plan.GetSql(), `"sensitivity"`) || plan.GetBundleRevision() != "example-1" || plan.GetDecisionId() == "" {
		t.Fatalf("plan %v", plan)
	}
	selected := selectDocuments(t, plan.GetSql(), plan.GetSqlArgs().AsSlice())
	allowed := allowedDocuments(t, r)
	if !slices.Equal(selected, allowed) {
		t.Fatalf("the plan's SQL selects %v; Check allows %v", selected, allowed)
	}
	// Clearance 1 reads up to internal (1); no stated level is public, a
	// level that is not a number the most sensitive.
	if want := []string{"d0", "d1", "d1b", "dn"}; !slices.Equal(allowed, want) {
		t.Fatalf("Check allows %v, want %v", allowed, want)
	}
	rec := auditRecord(t, r, plan.GetDecisionId())
	if rec.GetKind() != "plan" || rec.GetPlan().AsMap()["kind"] != "conditional" || rec.GetPlan().AsMap()["condition"] == nil ||
		rec.GetSubjectId() != "alice" || rec.GetResourceType() != "document" || rec.GetAction() != "read" || rec.GetResourceId() != "" {
		t.Fatalf("plan record %v", rec)
	}
}

// documentTable writes the documents into a SQLite table documents (id,
// sensitivity) in dir and returns the database path.
func documentTable(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "resources.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE documents (id, sensitivity)`); err != nil {
		t.Fatal(err)
	}
	for _, d := range documents {
		if _, err := db.Exec(`INSERT INTO documents VALUES (?, ?)`, d.id, d.sensitivity); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// selectDocuments runs a WHERE clause over the documents and returns the
// ids selected, sorted.
func selectDocuments(t *testing.T, where string, args []any) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+documentTable(t, t.TempDir())+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id FROM documents WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// allowedDocuments asks Check about every document, as aliceReads would.
func allowedDocuments(t *testing.T, r *running) []string {
	t.Helper()
	var ids []string
	for _, d := range documents {
		in, p := request(), aliceReads("")
		in.Subject, in.Action, in.Environment = p.Subject, p.Action, p.Environment
		attrs := map[string]any{}
		if d.sensitivity != nil {
			attrs["sensitivity"] = d.sensitivity
		}
		in.Resource.Id, in.Resource.Attributes = d.id, mustStruct(t, attrs)
		resp, err := r.client.Check(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAllow() {
			ids = append(ids, d.id)
		}
	}
	slices.Sort(ids)
	return ids
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// auditRecord reads the record of id from the AuditService.
func auditRecord(t *testing.T, r *running, id string) *pdpv1.DecisionRecord {
	t.Helper()
	conn, err := grpc.NewClient(r.app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := pdpv1.NewAuditServiceClient(conn).GetDecision(context.Background(), &pdpv1.GetDecisionRequest{DecisionId: id})
	if err != nil {
		t.Fatalf("GetDecision %s: %v", id, err)
	}
	return resp.GetRecord()
}

// TestPlanResourcesFollowsTheSystemPolicy: a system policy that allows
// Check alone refuses PlanResources.
func TestPlanResourcesFollowsTheSystemPolicy(t *testing.T) {
	system := filepath.Join(t.TempDir(), "system")
	writeFile(t, filepath.Join(system, ".manifest"), `{"revision": "s1", "roots": ["system"]}`)
	writeFile(t, filepath.Join(system, "authz.rego"), "package system.authz\n\n"+
		"default allow := false\n\nallow if input.method == \"/pdp.v1.AuthorizationService/Check\"\n")
	r := startWith(t, func(c *config.Config) { c.Bundle.Sources = append(c.Bundle.Sources, system) }, nil)
	defer r.stop(t)
	if _, err := r.client.Check(context.Background(), request()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	_, err := r.client.PlanResources(context.Background(), aliceReads(""))
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("PlanResources = %v, want PermissionDenied", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSearchFromTheResourceTable: with --search-db and --search-table, the
// AuthZEN resource search over the example bundle (no candidates
// entrypoint) answers the table's rows that Check allows, a page at a
// time, from SQLite and from PostgreSQL (whose column has one type: the
// documents with a number or no sensitivity).
func TestSearchFromTheResourceTable(t *testing.T) {
	tests := []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return documentTable(t, t.TempDir()) }},
		{"postgres", postgresDocuments},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db(t)
			r := startWith(t, func(c *config.Config) { c.Search = config.SearchConfig{DB: db, Table: "documents"} }, nil)
			defer r.stop(t)
			ids := searchAll(t, r)
			allowed := allowedDocuments(t, r)
			if tc.name == "postgres" {
				allowed = slices.DeleteFunc(allowed, func(id string) bool { return id == "dx" })
			}
			if !slices.Equal(ids, allowed) || len(ids) == 0 {
				t.Fatalf("search found %v; Check allows %v", ids, allowed)
			}
		})
	}
}

// postgresDocuments writes the documents whose sensitivity is a number or
// none into a table of a fresh PostgreSQL database and returns its URL.
func postgresDocuments(t *testing.T) string {
	pg := pgtest.Start(t, pgtest.Options{})
	url := pg.URL(pg.CreateDatabase(t))
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE documents (id text PRIMARY KEY, sensitivity double precision)`); err != nil {
		t.Fatal(err)
	}
	for _, d := range documents {
		if _, ok := d.sensitivity.(string); ok {
			continue
		}
		if _, err := db.Exec(`INSERT INTO documents VALUES ($1, $2)`, d.id, d.sensitivity); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

// searchAll pages through alice's search for documents she may read, two
// at a time.
func searchAll(t *testing.T, r *running) []string {
	t.Helper()
	body := `{"subject": {"type": "user", "id": "alice", "properties": {"roles": ["viewer"], "clearance": 1, "department": "eng"}},
		"action": {"name": "read"}, "resource": {"type": "document"}, "context": {"ip": "10.1.2.3"}, "page": {"limit": 2%s}}`
	var ids []string
	token := ""
	for range 10 {
		tok := ""
		if token != "" {
			tok = `, "token": "` + token + `"`
		}
		page := searchPage(t, "http://"+r.app.HTTPAddr()+"/access/v1/search/resource", fmt.Sprintf(body, tok))
		for _, res := range page.Results {
			ids = append(ids, res["id"])
		}
		if token = page.Page.NextToken; token == "" {
			break
		}
	}
	return ids
}

type searchAnswer struct {
	Results []map[string]string `json:"results"`
	Page    struct {
		NextToken string `json:"next_token"`
	} `json:"page"`
}

func searchPage(t *testing.T, url, body string) searchAnswer {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out searchAnswer
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %d, %v", resp.StatusCode, err)
	}
	return out
}

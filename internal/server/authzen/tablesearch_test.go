package authzen

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
)

// ownerPlanner plans "owner = the subject's id" for the type doc, always
// allowed for the type public, always denied for the type secret, and
// refuses the type opaque. It keeps the queries it was asked.
type ownerPlanner struct {
	queries []pdp.PlanQuery
	rev     string // "" is r1
}

func (p *ownerPlanner) PlanResources(_ context.Context, q pdp.PlanQuery) (pdp.ResourcePlan, error) {
	p.queries = append(p.queries, q)
	plan := pdp.ResourcePlan{BundleRevision: cmp.Or(p.rev, "r1"), Entrypoint: "authz/decision"}
	switch q.ResourceType {
	case "public":
		plan.Kind = pdp.PlanAlwaysAllowed
	case "secret":
		plan.Kind = pdp.PlanAlwaysDenied
	case "opaque":
		return plan, pdp.Errorf(pdp.CodeFailedPrecondition, "rule authz.allow: walk(input.resource) cannot be expressed")
	default:
		sub := q.Input["subject"].(map[string]any)["id"]
		plan.Kind, plan.Condition = pdp.PlanConditional, &pdp.Condition{Op: pdp.OpEq,
			Operands: []pdp.Operand{{Field: "resource.attributes.owner"}, {Value: sub}}}
	}
	return plan, nil
}

// eqWhere writes the plans of ownerPlanner as SQLite does.
func eqWhere(kind pdp.PlanKind, c *pdp.Condition, dialect string, _ map[string]string) (string, []any, error) {
	switch {
	case dialect != "sqlite":
		return "", nil, fmt.Errorf("dialect %q", dialect)
	case kind == pdp.PlanAlwaysAllowed:
		return "1", nil, nil
	case kind == pdp.PlanAlwaysDenied:
		return "0", nil, nil
	}
	col := strings.TrimPrefix(c.Operands[0].Field, "resource.attributes.")
	return `"` + col + `" = ?`, []any{c.Operands[1].Value}, nil
}

// resourceTable writes a SQLite table "my docs" of n rows (ids d000...,
// owner alice on every third row, bob otherwise, one row without an id)
// and opens it read-only.
func resourceTable(t *testing.T, n int) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resources.db")
	rw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	stmts := []string{`CREATE TABLE "my docs" (id TEXT, owner TEXT)`, `INSERT INTO "my docs" VALUES (NULL, 'alice')`}
	for i := n - 1; i >= 0; i-- {
		owner := "bob"
		if i%3 == 0 {
			owner = "alice"
		}
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO "my docs" VALUES ('d%03d', '%s')`, i, owner))
	}
	for _, s := range stmts {
		if _, err := rw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

// tableFixture serves the todo bundle (no candidates entrypoint) with a
// resource table; plans are recorded in mem.
func tableFixture(t *testing.T, db *sql.DB) (*fixture, *audittest.Memory, *ownerPlanner) {
	t.Helper()
	mem, p := audittest.NewMemory(), &ownerPlanner{}
	w := audit.NewWriter(mem, audit.WriterOptions{})
	t.Cleanup(func() { _ = w.Close() })
	f := newFixtureWith(t, todoBundle, 100, func(o *Options) {
		o.Planner = decision.New(decision.Options{Planner: p, Recorder: w})
		o.Resources = NewTable(db, "sqlite", "my docs", eqWhere)
	})
	return f, mem, p
}

const tableSearch = `{"subject":{"type":"user","id":"%s"},"action":{"name":"read"},"resource":{"type":"%s"},"page":{"limit":%d%s}}`

// pages runs a search page by page and returns the ids and the number of
// pages.
func pages(t *testing.T, f *fixture, subject, typ string, limit int) ([]string, int, float64) {
	t.Helper()
	var ids []string
	token, n, total := "", 0, 0.0
	for n < 50 {
		n++
		tok := ""
		if token != "" {
			tok = `,"token":"` + token + `"`
		}
		code, body, _ := f.post(t, PathSearchResource, sprintf(tableSearch, subject, typ, limit, tok))
		if code != http.StatusOK {
			t.Fatalf("status %d: %v", code, body)
		}
		for _, r := range body["results"].([]any) {
			m := r.(map[string]any)
			if m["type"] != typ {
				t.Fatalf("result %v is not of type %s", m, typ)
			}
			ids = append(ids, m["id"].(string))
		}
		pg := body["page"].(map[string]any)
		total = pg["total"].(float64)
		if token, _ = pg["next_token"].(string); token == "" {
			break
		}
	}
	return ids, n, total
}

func TestSearchFromTable(t *testing.T) {
	db := resourceTable(t, 25)
	tests := []struct {
		name, subject, typ string
		limit              int
		want               []string
		pages              int
	}{
		{"conditional, paged", "alice", "doc", 4, everyThird(25), 3},
		{"conditional, one page", "alice", "doc", 0, everyThird(25), 1},
		{"another subject", "carol", "doc", 4, nil, 1},
		{"always allowed", "bob", "public", 10, allIDs(25), 3},
		{"always denied", "bob", "secret", 10, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, mem, _ := tableFixture(t, db)
			ids, n, total := pages(t, f, tc.subject, tc.typ, tc.limit)
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") || n != tc.pages || int(total) != len(tc.want) {
				t.Fatalf("ids %v in %d pages (total %v)\nwant %v in %d pages", ids, n, total, tc.want, tc.pages)
			}
			if recs := mem.Records(); len(recs) != n || recs[0].Kind != pdp.RecordKindPlan || recs[0].SubjectID != tc.subject {
				t.Fatalf("%d plan records for %d pages: %+v", len(recs), n, recs)
			}
		})
	}
}

func everyThird(n int) []string {
	var out []string
	for i := 0; i < n; i += 3 {
		out = append(out, fmt.Sprintf("d%03d", i))
	}
	return out
}

func allIDs(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("d%03d", i))
	}
	return out
}

// TestSearchFromTableRefusals: a plan the bundle cannot express is 501;
// a page token of another revision is refused; searches other than the
// resource search still need the candidates entrypoint.
func TestSearchFromTableRefusals(t *testing.T) {
	f, _, p := tableFixture(t, resourceTable(t, 5))
	code, body, _ := f.post(t, PathSearchResource, sprintf(tableSearch, "alice", "opaque", 2, ""))
	if code != http.StatusNotImplemented || !strings.Contains(fmt.Sprint(body["error"]), "cannot be expressed") {
		t.Fatalf("refused plan: %d %v", code, body)
	}
	code, body, _ = f.post(t, PathSearchAction, `{"subject":{"type":"user","id":"`+rick+`"},"resource":{"type":"todo","id":"1"}}`)
	if code != http.StatusNotImplemented || len(p.queries) != 1 {
		t.Fatalf("action search: %d %v after %d plans", code, body, len(p.queries))
	}
	code, body, _ = f.post(t, PathSearchResource, sprintf(tableSearch, "alice", "doc", 1, ""))
	token, _ := body["page"].(map[string]any)["next_token"].(string)
	if code != http.StatusOK || token == "" {
		t.Fatalf("first page: %d %v", code, body)
	}
	p.rev = "r2"
	code, body, _ = f.post(t, PathSearchResource, sprintf(tableSearch, "alice", "doc", 1, `,"token":"`+token+`"`))
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "another policy bundle revision") {
		t.Fatalf("token of another revision: %d %v", code, body)
	}
}

// TestSearchFromTableKnowsOnlyTheType: the plan's input holds the
// resource's type only, whatever properties the search sent.
func TestSearchFromTableKnowsOnlyTheType(t *testing.T) {
	f, _, p := tableFixture(t, resourceTable(t, 3))
	body := `{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"doc","properties":{"owner":"bob"}}}`
	if code, out, _ := f.post(t, PathSearchResource, body); code != http.StatusOK {
		t.Fatalf("status %d: %v", code, out)
	}
	if got := fmt.Sprint(p.queries[0].Input["resource"]); got != "map[type:doc]" {
		t.Fatalf("input.resource = %s", got)
	}
}

func TestTableFailureIsUnavailable(t *testing.T) {
	db := resourceTable(t, 3)
	tbl := NewTable(db, "sqlite", "missing", eqWhere)
	_, _, err := tbl.Select(context.Background(), pdp.ResourcePlan{Kind: pdp.PlanAlwaysAllowed}, 0, 0)
	if pdp.ErrorCode(err) != pdp.CodeUnavailable {
		t.Fatalf("Select on a missing table: %v", err)
	}
	bad := NewTable(db, "sqlite", "my docs", func(pdp.PlanKind, *pdp.Condition, string, map[string]string) (string, []any, error) {
		return "", nil, errors.New("no")
	})
	if _, _, err := bad.Select(context.Background(), pdp.ResourcePlan{Kind: pdp.PlanAlwaysAllowed}, 0, 0); pdp.ErrorCode(err) != pdp.CodeFailedPrecondition {
		t.Fatalf("Select with a failing writer: %v", err)
	}
}

func TestQuoteName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docs", `"docs"`},
		{"app.docs", `"app"."docs"`},
		{`we"ird`, `"we""ird"`},
	}
	for _, tc := range tests {
		if got := quoteName(tc.in); got != tc.want {
			t.Errorf("quoteName(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSearch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pdp.yaml")
	if err := os.WriteFile(file, []byte("search:\n  db: testdata/token\n  table: documents\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want SearchConfig
	}{
		{"defaults", nil, nil, SearchConfig{}},
		{"flags", []string{"--search-db", "postgres://u@h:5432/d", "--search-table", "app.docs"}, nil,
			SearchConfig{DB: "postgres://u@h:5432/d", Table: "app.docs"}},
		{"env", nil, []string{"PDP_SEARCH_DB=testdata/token", "PDP_SEARCH_TABLE=docs"}, SearchConfig{DB: "testdata/token", Table: "docs"}},
		{"yaml", []string{"--config", file}, nil, SearchConfig{DB: "testdata/token", Table: "documents"}},
		{"flag over env", []string{"--search-table", "b"}, []string{"PDP_SEARCH_DB=testdata/token", "PDP_SEARCH_TABLE=a"},
			SearchConfig{DB: "testdata/token", Table: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(append([]string{"--bundle", "b"}, tt.args...), tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			eq(t, "search", c.Search, tt.want)
		})
	}
}

func TestValidateSearch(t *testing.T) {
	tests := []struct {
		name string
		s    SearchConfig
		want string // "" when valid
	}{
		{"none", SearchConfig{}, ""},
		{"sqlite", SearchConfig{DB: "testdata/token", Table: "docs"}, ""},
		{"postgres", SearchConfig{DB: "postgres://pdp:hunter2@db:5432/app", Table: "public.docs"}, ""},
		{"table without db", SearchConfig{Table: "docs"}, "--search-db: required with --search-table"},
		{"db without table", SearchConfig{DB: "testdata/token"}, "--search-table: required with --search-db"},
		{"missing sqlite file", SearchConfig{DB: "/nonexistent/r.db", Table: "docs"}, `--search-db: file "/nonexistent/r.db" does not exist`},
		{"other scheme", SearchConfig{DB: "mysql://h/d", Table: "docs"}, "--search-db: is neither a SQLite path nor a postgres:// URL"},
		{"postgres without database", SearchConfig{DB: "postgres://u:hunter2@h:5432", Table: "docs"}, "--search-db: names no database"},
		{"table with a space", SearchConfig{DB: "testdata/token", Table: "my docs"}, `--search-table: "my docs" is not a table name`},
		{"empty schema", SearchConfig{DB: "testdata/token", Table: ".docs"}, `--search-table: ".docs" is not a table name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			c.Search = tt.s
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("message holds a password: %v", err)
			}
		})
	}
}

func TestRedactedSearchDB(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://app:hunter2@db:5432/app", "postgres://app:REDACTED@db:5432/app"},
		{"/var/lib/app/resources.db", "/var/lib/app/resources.db"},
	}
	for _, tt := range tests {
		c := Default()
		c.Search.DB = tt.in
		eq(t, "redacted", c.Redacted().Search.DB, tt.want)
		out, err := c.YAML()
		if err != nil || strings.Contains(string(out), "hunter2") {
			t.Fatalf("YAML = %s, %v", out, err)
		}
	}
}

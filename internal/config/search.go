package config

import (
	"flag"
	"strings"
	"unicode"
)

// SearchConfig names the table of resources that the AuthZEN resource
// search reads when the candidates entrypoint lists none: the rows a
// resource plan selects are the results.
type SearchConfig struct {
	// DB is a SQLite database path (opened read-only) or a PostgreSQL URL
	// postgres://USER@HOST:PORT/DB (--search-db); empty: no table.
	DB string `yaml:"db"`
	// Table is the table of resources, schema.table allowed
	// (--search-table); its id column holds the resource ids.
	Table string `yaml:"table"`
}

// IsPostgres reports whether DB is a PostgreSQL URL rather than a SQLite
// path.
func (s SearchConfig) IsPostgres() bool {
	return strings.HasPrefix(s.DB, "postgres://") || strings.HasPrefix(s.DB, "postgresql://")
}

func defineSearch(fs *flag.FlagSet, s *SearchConfig) {
	fs.StringVar(&s.DB, "search-db", s.DB, "resource table database for AuthZEN resource search: SQLite `path` or postgres://USER@HOST:PORT/DB")
	fs.StringVar(&s.Table, "search-table", s.Table, "`name` of the resource table in --search-db (its id column holds resource ids)")
}

func (c Config) validateSearch(p *problems) {
	s := c.Search
	switch {
	case s.DB == "" && s.Table == "":
		return
	case s.DB == "":
		p.add("search-db", "required with --search-table")
	case s.Table == "":
		p.add("search-table", "required with --search-db")
	}
	checkTableName(p, s.Table)
	if s.IsPostgres() {
		if u := checkURL(p, "search-db", s.DB, "postgres", "postgresql"); u != nil && strings.Trim(u.Path, "/") == "" {
			p.add("search-db", "names no database (postgres://USER@HOST:PORT/DB)")
		}
		return
	}
	if strings.Contains(s.DB, "://") {
		p.add("search-db", "is neither a SQLite path nor a postgres:// URL")
		return
	}
	checkFile(p, "search-db", s.DB)
}

// checkTableName wants a table name, optionally schema-qualified: parts
// that are not empty and hold no space or control character.
func checkTableName(p *problems, name string) {
	if name == "" {
		return
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" || strings.IndexFunc(part, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			p.add("search-table", "%q is not a table name (NAME or SCHEMA.NAME, without spaces)", name)
			return
		}
	}
}

// redactSearchDB hides a password of --search-db; a path stays as it is.
func redactSearchDB(s SearchConfig) string {
	if s.IsPostgres() {
		return redactPostgresURL(s.DB)
	}
	return redactURL(s.DB)
}

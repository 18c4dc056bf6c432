// Package docs checks the repository's markdown documents: links between
// them resolve, the README stays short, and no text cites a document the
// repository does not hold.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

// maxReadmeLines bounds the top-level README: what the PDP is, how to run
// it, a first Check, its guarantees, the commands and links to the rest.
const maxReadmeLines = 250

var (
	// linkRe matches an inline markdown link or image and captures its target.
	linkRe = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// mdNameRe matches a mention of a markdown file, linked or not.
	mdNameRe = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)
	// codeSpanRe matches an inline code span.
	codeSpanRe = regexp.MustCompile("`[^`]*`")
)

// TestMarkdownLinksResolve: every relative link of every *.md file points
// to a file or directory that exists, and a #fragment to a heading of the
// target document.
func TestMarkdownLinksResolve(t *testing.T) {
	for _, doc := range markdownFiles(t) {
		for _, target := range links(t, doc) {
			if err := checkLink(doc, target); err != "" {
				t.Errorf("%s: link %q: %s", rel(doc), target, err)
			}
		}
	}
}

// TestMarkdownMentionsExist: a *.md file named in a document's text outside
// its links (which TestMarkdownLinksResolve checks) exists beside that
// document or from the repository root.
func TestMarkdownMentionsExist(t *testing.T) {
	for _, doc := range markdownFiles(t) {
		for _, name := range mdNameRe.FindAllString(linkRe.ReplaceAllString(read(t, doc), ""), -1) {
			if name == ".md" || strings.HasPrefix(name, "*") {
				continue
			}
			if !exists(filepath.Join(filepath.Dir(doc), name)) && !exists(filepath.Join(repoRoot, name)) {
				t.Errorf("%s names %s, which the repository does not hold", rel(doc), name)
			}
		}
	}
}

// TestMarkdownTables: every table has a header row and a separator row, and
// every row has as many cells as its header, so that it renders.
func TestMarkdownTables(t *testing.T) {
	for _, doc := range markdownFiles(t) {
		for _, table := range tables(read(t, doc)) {
			if len(table.rows) < 2 || !sepRe.MatchString(table.rows[1]) {
				t.Errorf("%s:%d: table without a header and separator row", rel(doc), table.line)
				continue
			}
			want := cells(table.rows[0])
			for i, row := range table.rows {
				if got := cells(row); got != want {
					t.Errorf("%s:%d: %d cells, the header has %d", rel(doc), table.line+i, got, want)
				}
			}
		}
	}
}

// sepRe matches the separator row under a table's header.
var sepRe = regexp.MustCompile(`^\|(\s*:?-+:?\s*\|)+\s*$`)

type table struct {
	line int // of the first row, from 1
	rows []string
}

// tables returns the tables of a markdown text outside fenced code blocks.
func tables(text string) []table {
	var out []table
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if fenced || !strings.HasPrefix(line, "|") {
			continue
		}
		if n := len(out); n > 0 && out[n-1].line+len(out[n-1].rows) == i+1 {
			out[n-1].rows = append(out[n-1].rows, line)
		} else {
			out = append(out, table{line: i + 1, rows: []string{line}})
		}
	}
	return out
}

// cells counts the cells of a table row: its pipes that are not escaped,
// less one (a pipe splits cells even inside a code span).
func cells(row string) int {
	return strings.Count(strings.TrimSpace(strings.ReplaceAll(row, `\|`, "")), "|") - 1
}

// TestTableHelpers: a table without its header rows and a row with a stray
// pipe are told apart from good tables.
func TestTableHelpers(t *testing.T) {
	tests := []struct {
		name, text string
		rows, sep  bool // a table of at least two rows; its second row a separator
		cellCounts []int
	}{
		{"good", "| a | b |\n|---|---|\n| `x\\|y` | z |\n", true, true, []int{2, 2, 2}},
		{"no header", "text\n| `--rate-limit` | `0` | meaning |\n| `--rate-burst` | `0` | size |\n", true, false, []int{3, 3}},
		{"stray pipe", "| a | b |\n|:--|--:|\n| `allow|deny` | z |\n", true, true, []int{2, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tables(tt.text)
			if len(got) != 1 || (len(got[0].rows) >= 2) != tt.rows || sepRe.MatchString(got[0].rows[1]) != tt.sep {
				t.Fatalf("tables = %+v", got)
			}
			for i, row := range got[0].rows {
				if n := cells(row); n != tt.cellCounts[i] {
					t.Errorf("row %d: %d cells, want %d", i, n, tt.cellCounts[i])
				}
			}
		})
	}
}

// TestReadmeIsShort: the top-level README stays an entry point.
func TestReadmeIsShort(t *testing.T) {
	n := strings.Count(read(t, filepath.Join(repoRoot, "README.md")), "\n")
	if n > maxReadmeLines {
		t.Errorf("README.md has %d lines; keep it at most %d and move detail to the document of its reader", n, maxReadmeLines)
	}
}

// TestNoCitations: documents, code and build files say the thing itself;
// they never cite a design document, its sections or an issue number.
func TestNoCitations(t *testing.T) {
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`DESIGN` + `\.md`),
		regexp.MustCompile(`(?i)\bissue` + ` #?[0-9]+`),
		regexp.MustCompile("\u00a7"),
	}
	for _, file := range textFiles(t) {
		text := read(t, file)
		for _, re := range patterns {
			if loc := re.FindStringIndex(text); loc != nil {
				line := strings.Count(text[:loc[0]], "\n") + 1
				t.Errorf("%s:%d cites %q: say the thing itself", rel(file), line, text[loc[0]:loc[1]])
			}
		}
	}
}

// TestSlug pins the anchor GitHub derives from a heading.
func TestSlug(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"Querying: `pdp audit`", "querying-pdp-audit"},
		{"`data.system`: the PDP's own rules", "datasystem-the-pdps-own-rules"},
		{"Latest results (2026-12-04)", "latest-results-2026-12-04"},
		{"AuthZEN Authorization API 1.0 (HTTP port)", "authzen-authorization-api-10-http-port"},
		{"Who may call what: the system policy", "who-may-call-what-the-system-policy"},
		{"A [linked](x.md) heading", "a-linked-heading"},
	}
	for _, tt := range tests {
		if got := slug(tt.heading); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.heading, got, tt.want)
		}
	}
}

// checkLink returns what is wrong with a link target of doc, or "".
func checkLink(doc, target string) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	path, fragment, _ := strings.Cut(target, "#")
	dest := doc
	if path != "" {
		dest = filepath.Join(filepath.Dir(doc), path)
		if !exists(dest) {
			return "no such file"
		}
	}
	if fragment == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		return err.Error()
	}
	if !anchors(string(b))[fragment] {
		return "no heading with anchor #" + fragment + " in " + rel(dest)
	}
	return ""
}

// links returns the link targets of doc outside code blocks and code spans.
func links(t *testing.T, doc string) []string {
	var out []string
	for _, line := range proseLines(read(t, doc)) {
		for _, m := range linkRe.FindAllStringSubmatch(codeSpanRe.ReplaceAllString(line, ""), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// anchors returns the anchors of the headings of a markdown text, with
// GitHub's -1, -2 suffixes for repeats.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(text) {
		trimmed := strings.TrimLeft(line, "#")
		if len(trimmed) == len(line) || !strings.HasPrefix(trimmed, " ") {
			continue
		}
		s := slug(strings.TrimSpace(trimmed))
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// slug is GitHub's anchor of a heading: link text kept, lower case, every
// character but letters, digits, spaces, hyphens and underscores dropped,
// spaces as hyphens.
func slug(heading string) string {
	heading = linkRe.ReplaceAllStringFunc(heading, func(l string) string {
		return l[strings.Index(l, "[")+1 : strings.Index(l, "]")]
	})
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// proseLines returns the lines of a markdown text outside fenced code
// blocks.
func proseLines(text string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, line)
		}
	}
	return out
}

// markdownFiles lists the *.md files of the repository.
func markdownFiles(t *testing.T) []string {
	files := walk(t, func(name string) bool { return strings.HasSuffix(name, ".md") })
	if len(files) < 2 {
		t.Fatalf("found %d markdown files under %s", len(files), repoRoot)
	}
	return files
}

// textFiles lists the files whose text is the project's own: documents,
// Go, protos, Rego, YAML and the Makefile.
func textFiles(t *testing.T) []string {
	exts := []string{".md", ".go", ".proto", ".rego", ".yaml", ".yml"}
	return walk(t, func(name string) bool {
		if name == "Makefile" {
			return true
		}
		if strings.HasSuffix(name, ".pb.go") {
			return false // generated
		}
		for _, ext := range exts {
			if strings.HasSuffix(name, ext) {
				return true
			}
		}
		return false
	})
}

// walk lists the files under repoRoot whose name keep accepts, leaving out
// hidden directories, build output, local state and third-party test data.
func walk(t *testing.T, keep func(name string) bool) []string {
	t.Helper()
	skip := map[string]bool{"bin": true, "pdp-data": true, "node_modules": true}
	var out []string
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != repoRoot && (strings.HasPrefix(name, ".") || skip[name] || path == filepath.Join(repoRoot, "test", "e2e", "testdata", "authzen")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && keep(name) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// rel names path from the repository root.
func rel(path string) string {
	if r, err := filepath.Rel(repoRoot, path); err == nil {
		return r
	}
	return path
}

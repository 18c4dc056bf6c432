package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates/NAME.html files, each a page of the layout.
var pageNames = []string{"overview", "decisions", "decision", "playground", "replay", "refused", "error"}

// pages holds one template set per page: the layout, the shared
// fragments and the page's own content.
type pages struct {
	sets map[string]*template.Template
}

func parsePages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// staticFiles serves the embedded CSS and JavaScript. They change only
// with the binary, so a browser may keep them for an hour.
func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the directory is embedded: cannot fail
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// view is what the layout renders: the page's title, the navigation entry
// to highlight, who is calling, and the page's own data.
type view struct {
	Title  string
	Nav    string
	Caller string
	Data   any
}

// render writes a page; it renders into a buffer first so that a template
// failure becomes a clean error page rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title, caller string, data any) {
	var buf bytes.Buffer
	err := c.pages.sets[name].ExecuteTemplate(&buf, "layout", view{Title: title, Nav: name, Caller: caller, Data: data})
	if err != nil {
		c.opts.Logger.Error("console render", "page", name, "path", r.URL.Path, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"when":     when,
	"verdict":  verdict,
	"pretty":   pretty,
	"join":     strings.Join,
	"typed":    typed,
	"inputDoc": inputDoc,
	"add":      func(a, b int) int { return a + b },
}

// when is a time as the console shows it: UTC to the millisecond.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

func verdict(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

// pretty is v as indented JSON.
func pretty(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// typed is "type:id", or id alone when there is no type.
func typed(typ, id string) string {
	if typ == "" {
		return id
	}
	return typ + ":" + id
}

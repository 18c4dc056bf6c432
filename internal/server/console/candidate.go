package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdp-project/pdp/internal/authoring"
	"github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// candidate is a bundle loaded beside the active one, into an engine of
// its own, as pdp replay loads its --bundle.
type candidate struct {
	Source   string
	Revision string
	eng      *engine.Engine
}

// openCandidate loads source: a directory or .tar.gz the server may read,
// or an http(s) URL of a .tar.gz. A source that does not load is an
// InvalidArgument on field.
func (c *Console) openCandidate(ctx context.Context, field, source string) (*candidate, error) {
	if !bundle.IsURL(source) {
		return c.load(ctx, field, source, source)
	}
	dir, err := os.MkdirTemp("", "pdp-console-")
	if err != nil {
		return nil, fmt.Errorf("candidate bundle: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, bundle.Name(source)+".tar.gz")
	if err := c.fetch(ctx, source, path); err != nil {
		return nil, pdp.InvalidField(field, err.Error())
	}
	return c.load(ctx, field, path, source)
}

// load opens the bundle at path (named source on the page).
func (c *Console) load(ctx context.Context, field, path, source string) (*candidate, error) {
	eng, err := authoring.Open(ctx, path)
	if err != nil {
		return nil, pdp.InvalidField(field, "does not load as a bundle: "+strings.ReplaceAll(err.Error(), path, source))
	}
	rev, _ := eng.Revision()
	return &candidate{Source: source, Revision: rev, eng: eng}, nil
}

// fetch downloads url to path, at most MaxBundleBytes, within
// FetchTimeout.
func (c *Console) fetch(ctx context.Context, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch: %s answered %s", url, resp.Status)
	}
	return c.save(resp.Body, path)
}

// save copies at most MaxBundleBytes of r to a new file at path.
func (c *Console) save(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, c.opts.MaxBundleBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > c.opts.MaxBundleBytes {
		err = fmt.Errorf("larger than %d MiB", c.opts.MaxBundleBytes>>20)
	}
	return err
}

// errNoUpload: the form carried no file.
var errNoUpload = errors.New("no file uploaded")

// openUpload loads the .tar.gz uploaded in the form's field, or returns
// errNoUpload.
func (c *Console) openUpload(ctx context.Context, r *http.Request, field string) (*candidate, error) {
	if r.MultipartForm == nil { // a form without files (parseUpload read it)
		return nil, errNoUpload
	}
	file, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, errNoUpload
	}
	if err != nil {
		return nil, pdp.InvalidField(field, err.Error())
	}
	defer file.Close()
	if hdr.Size == 0 {
		return nil, errNoUpload
	}
	return c.loadUpload(ctx, field, file, hdr)
}

func (c *Console) loadUpload(ctx context.Context, field string, file multipart.File, hdr *multipart.FileHeader) (*candidate, error) {
	name := filepath.Base(hdr.Filename)
	if !strings.HasSuffix(name, ".tar.gz") {
		return nil, pdp.InvalidField(field, "want a bundle as a .tar.gz file, not "+name)
	}
	dir, err := os.MkdirTemp("", "pdp-console-")
	if err != nil {
		return nil, fmt.Errorf("candidate bundle: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	if err := c.save(file, path); err != nil {
		return nil, pdp.InvalidField(field, err.Error())
	}
	return c.load(ctx, field, path, name+" (uploaded)")
}

// parseUpload reads a multipart form of at most MaxBundleBytes plus room
// for the other fields.
func (c *Console) parseUpload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxBundleBytes+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return pdp.InvalidField("bundle_file", "the form could not be read: "+err.Error())
	}
	return nil
}

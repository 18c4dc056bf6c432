package bundle

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// Signature states of an inspected bundle.
const (
	SignatureUnsigned   = "unsigned"
	SignatureUnverified = "signed, not verified (no key given)"
	SignatureValid      = "valid"
	SignatureInvalid    = "invalid"
)

// Info is what `pdp bundle inspect` shows.
type Info struct {
	Revision  string   `json:"revision"`
	Roots     []string `json:"roots"`
	Files     []string `json:"files"`
	Signature string   `json:"signature"`
	// SignatureError says why a signature is invalid.
	SignatureError string `json:"signature_error,omitempty"`
}

// Inspect reads the bundle at path and reports its revision, roots, files
// and signature status, checked against key when one is given.
func Inspect(path string, key Key) (Info, error) {
	b, err := readUnverified(path)
	if err != nil {
		return Info{}, fmt.Errorf("inspect bundle %q: %w", path, err)
	}
	files, err := listFiles(path)
	if err != nil {
		return Info{}, fmt.Errorf("inspect bundle %q: %w", path, err)
	}
	info := Info{Revision: b.Manifest.Revision, Files: files, Signature: SignatureUnsigned}
	if b.Manifest.Roots != nil {
		info.Roots = *b.Manifest.Roots
	}
	return info, checkSignature(&info, path, key)
}

func checkSignature(info *Info, path string, key Key) error {
	signed := slices.ContainsFunc(info.Files, bundle.IsSignaturesFile)
	vc, err := key.VerificationConfig()
	switch {
	case err != nil:
		return err
	case vc == nil && signed:
		info.Signature = SignatureUnverified
	case vc == nil:
	default:
		info.Signature = SignatureValid
		if _, err := LoadVerified(path, vc); err != nil {
			info.Signature, info.SignatureError = SignatureInvalid, err.Error()
		}
	}
	return nil
}

// listFiles names every file of the bundle, sorted, relative to its root.
func listFiles(path string) ([]string, error) {
	loader, closeFn, err := openLoader(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	var files []string
	for {
		f, err := loader.NextFile()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		files = append(files, strings.TrimPrefix(f.Path(), "/"))
		_ = f.Close()
	}
	slices.Sort(files)
	return files, nil
}

package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/compile"
)

// testFileSuffix names Rego unit tests, which `pdp bundle build` leaves out:
// they run from the policy sources (`pdp test`), not in a server.
const testFileSuffix = "_test.rego"

// manifestFile marks the root of a bundle.
const manifestFile = ".manifest"

// Signing names the private key (PEM file, or a file holding the HMAC
// secret) that signs a bundle.
type Signing struct {
	KeyFile string // empty: unsigned
	Alg     string // OPA's default RS256 when empty
	KeyID   string // OPA's "default" when empty
}

func (s Signing) config() *bundle.SigningConfig {
	return bundle.NewSigningConfig(s.KeyFile, s.Alg, "")
}

func (s Signing) keyID() string {
	if s.KeyID == "" {
		return DefaultKeyID
	}
	return s.KeyID
}

// BuildOptions configures Build.
type BuildOptions struct {
	Dir      string // policy sources with a .manifest
	Revision string // overrides the manifest's revision when set
	Signing  Signing
}

// Build compiles the directory into an OPA bundle tarball written to w,
// with OPA's own builder (what `opa build -b` does), so OPA accepts it.
// Decision-case files and Rego tests are left out; with a signing key the
// bundle carries .signatures.json over every file.
func Build(ctx context.Context, opts BuildOptions, w io.Writer) error {
	nested, err := NestedBundles(opts.Dir)
	if err != nil {
		return fmt.Errorf("build bundle %q: %w", opts.Dir, err)
	}
	// Reading through an fs.FS rooted at the directory keeps the file names
	// in the bundle (and in its signature) relative: authz/policy.rego.
	c := compile.New().WithAsBundle(true).WithFS(os.DirFS(opts.Dir)).WithPaths(".").
		WithFilter(leaveOutOfBuild(nested)).WithOutput(w)
	if opts.Revision != "" {
		c = c.WithRevision(opts.Revision)
	}
	if opts.Signing.KeyFile != "" {
		c = c.WithBundleSigningConfig(opts.Signing.config()).WithBundleVerificationKeyID(opts.Signing.keyID())
	}
	if err := c.Build(ctx); err != nil {
		return fmt.Errorf("build bundle %q: %w", opts.Dir, err)
	}
	return nil
}

// leaveOutOfBuild is the build's loader filter (true leaves out): the
// nested bundles, decision-case files and Rego tests.
func leaveOutOfBuild(nested []string) func(string, fs.FileInfo, int) bool {
	return func(path string, info fs.FileInfo, _ int) bool {
		if info.IsDir() {
			return slices.Contains(nested, filepath.ToSlash(filepath.Clean(path)))
		}
		return isCaseFile(path) || strings.HasSuffix(filepath.Base(path), testFileSuffix)
	}
}

// NestedBundles lists the directories below dir (slash paths relative to
// it, in walk order) that hold their own .manifest: separate bundles, as
// `pdp test` treats them, which Build leaves out of the bundle of dir
// (policies/authzen-todo is built on its own, not into policies/).
func NestedBundles(dir string) ([]string, error) {
	var nested []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == "." {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, path, manifestFile)); err == nil {
			nested = append(nested, path)
			return fs.SkipDir
		}
		return nil
	})
	return nested, err
}

// Sign reads the bundle at path (directory or tarball; any old signature is
// replaced, not checked) and writes it to w signed with s.
func Sign(path string, s Signing, w io.Writer) error {
	if s.KeyFile == "" {
		return errors.New("sign bundle: no signing key")
	}
	b, err := readUnverified(path)
	if err != nil {
		return fmt.Errorf("sign bundle %q: %w", path, err)
	}
	if err := b.GenerateSignature(s.config(), s.keyID(), true); err != nil {
		return fmt.Errorf("sign bundle %q: %w", path, err)
	}
	if err := bundle.NewWriter(w).UseModulePath(true).DisableFormat(true).Write(*b); err != nil {
		return fmt.Errorf("write signed bundle: %w", err)
	}
	return nil
}

// readUnverified reads a bundle without looking at its signature.
func readUnverified(path string) (*bundle.Bundle, error) {
	loader, closeFn, err := openLoader(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	r := bundle.NewCustomReader(loader).WithSkipBundleVerification(true).WithProcessAnnotations(true)
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		r = r.WithBaseDir(path)
	}
	b, err := r.Read()
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// openLoader returns OPA's file loader for a directory or a tarball,
// leaving decision-case files out.
func openLoader(path string) (bundle.DirectoryLoader, func(), error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if info.IsDir() {
		return bundle.NewDirectoryLoader(path).WithFilter(skipCaseFiles), func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	loader := bundle.NewTarballLoaderWithBaseURL(f, path).WithFilter(skipCaseFiles)
	return loader, func() { f.Close() }, nil
}

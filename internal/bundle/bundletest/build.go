package bundletest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdp-project/pdp/internal/bundle"
)

// Files is a bundle's content by slash path, e.g. ".manifest", "authz/p.rego".
type Files map[string]string

// Policy is a one-rule bundle rooted at authz: decision is allow, at rev.
func Policy(rev string, allow bool) Files {
	body := "false"
	if allow {
		body = "true"
	}
	return Files{
		".manifest":  `{"revision": "` + rev + `", "roots": ["authz"]}`,
		"authz.rego": "package authz\n\ndecision := " + body + "\n",
	}
}

// WriteDir writes files under a fresh directory and returns it.
func WriteDir(t testing.TB, files Files) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Build runs bundle.Build over files (signed when s names a key) and
// returns the tarball.
func Build(t testing.TB, files Files, s bundle.Signing) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Build(context.Background(), bundle.BuildOptions{Dir: WriteDir(t, files), Signing: s}, &buf); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes()
}

// Tarball packs files as they are, with no build step: for corrupt or
// tampered bundles.
func Tarball(t testing.TB, files Files) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		hdr := &tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(files[name]))}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Untar returns the files of a tarball (built by Build or Tarball).
func Untar(t testing.TB, tarball []byte) Files {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(tarball))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := Files{}
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(tr); err != nil {
			t.Fatal(err)
		}
		files[filepath.ToSlash(filepath.Clean("/" + hdr.Name))[1:]] = b.String()
	}
	return files
}

// KeyPair writes a fresh RSA key pair as PEM files and returns their paths.
func KeyPair(t testing.TB) (private, public string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	private, public = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	writePEM(t, private, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	writePEM(t, public, "PUBLIC KEY", pub)
	return private, public
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

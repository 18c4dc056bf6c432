package console_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarball packs the candidate bundle of testdata as a .tar.gz.
func tarball(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{".manifest", "authz/decision.rego"} {
		data, err := os.ReadFile(filepath.Join(candidateDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
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

// multipartPost is a POST of fields and one file to path.
func multipartPost(t *testing.T, path string, fields map[string]string, fileName string, file []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("bundle_file", fileName)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:7071"+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func TestUploadedCandidate(t *testing.T) {
	f := newFixture(t, 6)
	tgz := tarball(t)
	cases := []struct {
		name, caller, path, file string
		fields                   map[string]string
		data                     []byte
		status                   int
		want                     []string
	}{
		{"playground", "author", "/ui/playground", "cand.tar.gz", map[string]string{"mode": "request", "request": readRequest}, tgz, 200,
			[]string{"candidate-2", "cand.tar.gz (uploaded)", `id="differences"`}},
		{"replay", "both", "/ui/replay", "cand.tar.gz", map[string]string{"since": "1h"}, tgz, 200,
			[]string{`id="report"`, "candidate-2", `id="n-records">8<`}},
		{"not a tarball", "author", "/ui/playground", "cand.zip", map[string]string{"mode": "request", "request": readRequest}, tgz, 200,
			[]string{`id="candidate-error"`, "want a bundle as a .tar.gz file"}},
		{"a broken tarball", "both", "/ui/replay", "cand.tar.gz", nil, []byte("not gzip"), 400,
			[]string{`id="replay-error"`, "does not load as a bundle"}},
		{"replay, not an author", "auditor", "/ui/replay", "cand.tar.gz", nil, tgz, 403, []string{`id="refusal"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := f.do(multipartPost(t, c.path, c.fields, c.file, c.data), c.caller)
			if status != c.status {
				t.Fatalf("status %d, want %d\n%s", status, c.status, mainOf(body))
			}
			contains(t, c.name, body, c.want...)
			if strings.Contains(body, `id="result-link"`) {
				t.Errorf("%s: an uploaded candidate's result offers a link that cannot carry it", c.name)
			}
		})
	}
}

package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// watcher wraps fsnotify. Without one (the OS refused), its channels are
// nil and the periodic fingerprint check does all the work.
type watcher struct {
	fs  *fsnotify.Watcher
	log *slog.Logger
}

func newWatcher(log *slog.Logger) *watcher {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("bundle file watcher unavailable, polling only", "error", err)
	}
	return &watcher{fs: fw, log: log}
}

// watch adds every source, its parent (for atomic renames of the source
// itself) and every directory under a source. Paths already watched or
// missing are fine: the fingerprint check covers what a watch misses.
func (w *watcher) watch(paths []string) {
	if w.fs == nil {
		return
	}
	for _, p := range paths {
		_ = w.fs.Add(filepath.Dir(filepath.Clean(p)))
		_ = filepath.WalkDir(p, func(dir string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = w.fs.Add(dir)
			}
			return nil
		})
	}
}

func (w *watcher) events() <-chan fsnotify.Event {
	if w.fs == nil {
		return nil
	}
	return w.fs.Events
}

func (w *watcher) errors() <-chan error {
	if w.fs == nil {
		return nil
	}
	return w.fs.Errors
}

func (w *watcher) close() {
	if w.fs != nil {
		_ = w.fs.Close()
	}
}

// fingerprint hashes the names and contents of the files a source holds
// (decision-case files left out), or describes why it cannot be read, so
// that any change, however it was made, gives a different value.
func fingerprint(path string) string {
	h := sha256.New()
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isCaseFile(p) {
			return err
		}
		_, _ = io.WriteString(h, p+"\x00")
		return hashFile(h, p)
	})
	if err != nil {
		return "error: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

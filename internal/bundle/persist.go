package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// persisted keeps the last good tarball of a remote source under the data
// directory, as OPA does: DATA_DIR/bundles/NAME/bundle.tar.gz.
type persisted struct {
	path string // empty: persistence off
}

func newPersisted(dataDir, name string) persisted {
	if dataDir == "" {
		return persisted{}
	}
	return persisted{path: filepath.Join(dataDir, "bundles", name, "bundle.tar.gz")}
}

// save writes raw in place atomically (temporary file, fsync, rename), so a
// crash leaves the old copy or the new one.
func (p persisted) save(raw []byte) error {
	if p.path == "" || len(raw) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return fmt.Errorf("persist bundle: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".bundle-*.tar.gz")
	if err != nil {
		return fmt.Errorf("persist bundle: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p.path)
	}
	if err != nil {
		return fmt.Errorf("persist bundle: %w", err)
	}
	return nil
}

// load reads the persisted copy, verified again with vc. It returns nil and
// no error when there is none.
func (p persisted) load(vc *bundle.VerificationConfig) (*bundle.Bundle, error) {
	if p.path == "" {
		return nil, nil
	}
	if _, err := os.Stat(p.path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return LoadVerified(p.path, vc)
}

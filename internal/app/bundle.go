package app

import (
	"fmt"

	"github.com/pdp-project/pdp/internal/bundle"
)

// newBundleManager builds the bundle manager from the bundle section of the
// config: sources (directories, tarballs, URLs), polling, signature
// verification, bearer token and persistence under the data directory.
func (a *App) newBundleManager(act bundle.Activator) (*bundle.Manager, error) {
	b := a.cfg.Bundle
	m, err := bundle.NewManager(bundle.Options{
		Paths:     b.Sources,
		Activator: act,
		Logger:    a.log,
		Poll:      b.Poll,
		Key:       bundle.Key{File: b.VerificationKey, ID: b.VerificationKeyID, Alg: b.VerificationAlg},
		TokenFile: b.TokenFile,
		DataDir:   a.cfg.DataDir,
		Observer:  a.loadObserver(),
	})
	if err != nil {
		return nil, fmt.Errorf("bundle sources: %w", err)
	}
	return m, nil
}

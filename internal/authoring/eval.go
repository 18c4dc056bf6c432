package authoring

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	pdpbundle "github.com/pdp-project/pdp/internal/bundle"
	"github.com/pdp-project/pdp/internal/engine"
	"github.com/pdp-project/pdp/internal/pdp"
)

// Decision is what pdp eval prints: the decision object with the revision
// and entrypoint that produced it.
type Decision struct {
	Allow          bool           `json:"allow"`
	Reasons        []string       `json:"reasons"`
	Obligations    map[string]any `json:"obligations"`
	BundleRevision string         `json:"bundle_revision"`
	Entrypoint     string         `json:"entrypoint"`
	Explanation    string         `json:"explanation,omitempty"`
	Error          string         `json:"error,omitempty"`
}

// NewDecision turns a result into what pdp eval prints.
func NewDecision(res pdp.Result) Decision {
	return Decision{Allow: res.Allow, Reasons: nonNil(res.Reasons), Obligations: objOrEmpty(res.Obligations),
		BundleRevision: res.BundleRevision, Entrypoint: res.Entrypoint, Explanation: res.Explanation, Error: res.Err}
}

// Open loads a servable bundle (directory or .tar.gz, as pdp serve reads it)
// or, for a directory of sources, the policy set without its tests, into a
// fresh engine.
func Open(ctx context.Context, path string) (*engine.Engine, error) {
	b, err := loadServable(path)
	if err != nil {
		return nil, err
	}
	eng := engine.New(engine.Options{})
	if _, err := eng.Activate(ctx, map[string]*bundle.Bundle{pdpbundle.Name(path): b}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return eng, nil
}

func loadServable(path string) (*bundle.Bundle, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return LoadBundle(path)
	}
	return pdpbundle.Load(path)
}

// Eval decides one CheckRequest (JSON, as pdp check reads it) offline, with
// the server's defaults applied at now.
func Eval(ctx context.Context, eng *engine.Engine, requestJSON []byte, explain bool, now time.Time) (pdp.Result, error) {
	req, err := RequestFromJSON(requestJSON)
	if err != nil {
		return pdp.Result{}, err
	}
	q := Query(req, now)
	q.Explain = q.Explain || explain
	return eng.Evaluate(ctx, q)
}

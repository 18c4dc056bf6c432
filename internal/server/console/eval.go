package console

import (
	"context"
	"net/http"
	"time"

	"github.com/pdp-project/pdp/internal/pdp"
)

// evalTimeout bounds one evaluation of the playground or explain again.
const evalTimeout = 10 * time.Second

// evaluator is what the console evaluates with: the active engine or a
// candidate's.
type evaluator interface {
	Evaluate(ctx context.Context, q pdp.Query) (pdp.Result, error)
}

// evaluation is one decision as a page shows it.
type evaluation struct {
	Revision, Digest, Entrypoint string
	Allow                        bool
	Reasons                      []string
	Obligations                  map[string]any
	Explanation                  string
	// Error is the evaluation error behind a deny.
	Error string
}

// evaluate decides q with eng. It is a what-if: nothing is cached or
// written to the trail, as with pdp eval; the log notes who asked.
func (c *Console) evaluate(r *http.Request, eng evaluator, q pdp.Query) (*evaluation, error) {
	ctx, cancel := context.WithTimeout(r.Context(), evalTimeout)
	defer cancel()
	res, err := eng.Evaluate(ctx, q)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("console evaluation", "caller", c.opts.Caller(r), "path", r.URL.Path,
		"bundle_revision", res.BundleRevision, "entrypoint", res.Entrypoint)
	obligations := res.Obligations
	if obligations == nil {
		obligations = map[string]any{}
	}
	return &evaluation{Revision: res.BundleRevision, Digest: res.BundleDigest, Entrypoint: res.Entrypoint,
		Allow: res.Allow, Reasons: res.Reasons, Obligations: obligations, Explanation: res.Explanation, Error: res.Err}, nil
}

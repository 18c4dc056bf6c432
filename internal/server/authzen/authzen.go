// Package authzen serves the OpenID AuthZEN Authorization API 1.0 on the HTTP
// port: access evaluation (single and batch), the subject, resource and
// action searches, and the discovery document. Every evaluation goes through
// the decision use case, so it is validated, evaluated and audited exactly
// like a gRPC Check.
package authzen

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/pdp-project/pdp/internal/authn"
	"github.com/pdp-project/pdp/internal/pdp"
)

// DefaultCandidatesPolicy is the entrypoint the searches ask for candidates.
const DefaultCandidatesPolicy = "authzen/candidates/decision"

// Decider is the decision use case as the handlers need it.
type Decider interface {
	Check(ctx context.Context, req pdp.Request) (pdp.Decision, error)
	CheckBatch(ctx context.Context, reqs []pdp.Request) ([]pdp.Decision, error)
	MaxBatch() int
}

// Options configures the AuthZEN handlers.
type Options struct {
	Decider Decider
	Logger  *slog.Logger
	// PublicURL is the base URL announced by the discovery document
	// (--public-url), e.g. http://127.0.0.1:7071.
	PublicURL string
	// Caller names the authenticated caller of an HTTP request; nil means
	// the plaintext rule (local on loopback, anonymous otherwise). The TLS
	// edge replaces it with the peer certificate's identity.
	Caller func(r *http.Request) string
	// CandidatesPolicy is the entrypoint that lists search candidates;
	// empty means DefaultCandidatesPolicy.
	CandidatesPolicy string
	// Guard admits a request to an evaluation or search endpoint, given
	// the request's path and caller (the rate limit and the system policy
	// of the gRPC port); a coded error refuses it (403, 429). Nil admits
	// every request. The discovery document is never guarded.
	Guard func(ctx context.Context, path, caller string) error
	// Reasons reports whether caller may see the reasons of the decisions
	// it asks for at path (the gRPC port's rule for explanations: the
	// system policy asked with explain, --policy-authors by default). Nil:
	// no caller sees them.
	Reasons func(ctx context.Context, path, caller string) bool
	// Planner and Resources answer a resource search that the candidates
	// entrypoint gives no list for: the rows of the resource table that
	// the search's plan selects (tablesearch.go). Nil: such a search has
	// no table to read.
	Planner   Planner
	Resources Resources
}

// API is the set of AuthZEN handlers.
type API struct {
	dec        Decider
	log        *slog.Logger
	publicURL  string
	caller     func(r *http.Request) string
	guard      func(ctx context.Context, path, caller string) error
	reasons    func(ctx context.Context, path, caller string) bool
	candidates string
	planner    Planner   // tablesearch.go
	table      Resources // tablesearch.go
}

// New builds the AuthZEN handlers from opts.
func New(opts Options) *API {
	a := &API{dec: opts.Decider, log: opts.Logger, caller: opts.Caller, guard: opts.Guard, reasons: opts.Reasons,
		publicURL: strings.TrimSuffix(opts.PublicURL, "/"), candidates: opts.CandidatesPolicy,
		planner: opts.Planner, table: opts.Resources}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.caller == nil {
		a.caller = PlainCaller
	}
	if a.candidates == "" {
		a.candidates = DefaultCandidatesPolicy
	}
	return a
}

// PlainCaller names the caller of a plaintext request from its address.
func PlainCaller(r *http.Request) string { return authn.FromRemoteAddr(r.RemoteAddr) }

// Paths of the AuthZEN endpoints.
const (
	PathEvaluation     = "/access/v1/evaluation"
	PathEvaluations    = "/access/v1/evaluations"
	PathSearchSubject  = "/access/v1/search/subject"
	PathSearchResource = "/access/v1/search/resource"
	PathSearchAction   = "/access/v1/search/action"
	PathDiscovery      = "/.well-known/authzen-configuration"
)

// Handlers returns the endpoints by ServeMux pattern, ready for
// server.HTTPOptions.Handlers.
func (a *API) Handlers() map[string]http.Handler {
	return map[string]http.Handler{
		"POST " + PathEvaluation:     a.wrap(a.guarded(a.evaluation)),
		"POST " + PathEvaluations:    a.wrap(a.guarded(a.evaluations)),
		"POST " + PathSearchSubject:  a.wrap(a.guarded(a.search(searchSubject))),
		"POST " + PathSearchResource: a.wrap(a.guarded(a.search(searchResource))),
		"POST " + PathSearchAction:   a.wrap(a.guarded(a.search(searchAction))),
		"GET " + PathDiscovery:       a.wrap(a.discovery),
	}
}

// handlerFunc answers with a body or an error; wrap writes either.
type handlerFunc func(r *http.Request) (any, error)

func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Request-ID"); id != "" {
			w.Header().Set("X-Request-ID", id)
		}
		body, err := a.call(h, r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// guarded runs h only for requests the guard admits.
func (a *API) guarded(h handlerFunc) handlerFunc {
	if a.guard == nil {
		return h
	}
	return func(r *http.Request) (any, error) {
		if err := a.guard(r.Context(), r.URL.Path, a.caller(r)); err != nil {
			return nil, err
		}
		return h(r)
	}
}

// call runs h; a panic is a bug: logged once with its stack, answered 500.
func (a *API) call(h handlerFunc, r *http.Request) (body any, err error) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic in AuthZEN handler", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			body, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return h(r)
}

func (a *API) discovery(*http.Request) (any, error) {
	return map[string]string{
		"policy_decision_point":       a.publicURL,
		"access_evaluation_endpoint":  a.publicURL + PathEvaluation,
		"access_evaluations_endpoint": a.publicURL + PathEvaluations,
		"search_subject_endpoint":     a.publicURL + PathSearchSubject,
		"search_resource_endpoint":    a.publicURL + PathSearchResource,
		"search_action_endpoint":      a.publicURL + PathSearchAction,
	}, nil
}

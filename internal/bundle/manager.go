package bundle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// Activator is what the manager activates bundle sets into; engine.Engine
// satisfies it. It returns the combined revision of the set.
type Activator interface {
	Activate(ctx context.Context, bundles map[string]*bundle.Bundle) (string, error)
}

// DefaultRetry is how often a source that failed is retried while no bundle
// set is active, and how often sources are checked for changes that the
// file watcher missed.
const DefaultRetry = 2 * time.Second

// debounce lets a burst of file events settle before a reload.
const debounce = 100 * time.Millisecond

// Options configures a Manager.
type Options struct {
	// Paths are the bundle sources: directories, .tar.gz files or HTTP(S)
	// URLs of a server speaking OPA's bundle service protocol.
	Paths     []string
	Activator Activator
	Logger    *slog.Logger
	// Retry defaults to DefaultRetry.
	Retry time.Duration
	// Poll is the polling interval of URL sources (jittered ±10%); 0 stops
	// after the first successful download.
	Poll time.Duration
	// Key, when set, must verify a signature over every file of every
	// bundle: unsigned bundles are rejected too.
	Key Key
	// TokenFile holds a bearer token sent to URL sources, read per request.
	TokenFile string
	// DataDir, when set, keeps the last good bundle of each URL source
	// (DataDir/bundles/NAME/bundle.tar.gz) for starts without the server.
	DataDir string
	// Observer, when set, is told of every bundle that fails before it can
	// be activated (it does not load, download, parse or verify); activations
	// themselves are observed by wrapping the Activator (ObserveActivations).
	Observer ActivationObserver
}

// Manager loads the bundle sources, activates them together and reloads them
// when they change.
type Manager struct {
	opts    Options
	log     *slog.Logger
	vc      *bundle.VerificationConfig // nil: no key, signed bundles are rejected
	sources []*source

	mu       sync.Mutex // guards the fields below and every source's status
	ready    bool
	revision string
}

// source is one bundle path or URL. Only Run's goroutine touches its
// fields, except status, which m.mu guards.
type source struct {
	name, path  string
	remote      *remote        // nil for directories and files
	active      *bundle.Bundle // part of the active set
	candidate   *bundle.Bundle // loaded, not yet active
	raw         []byte         // the candidate's tarball, persisted once active
	fingerprint string         // of the content last loaded (or tried)
	failed      bool
	status      SourceStatus
}

// NewManager validates opts and returns a Manager with no active bundles.
func NewManager(opts Options) (*Manager, error) {
	if len(opts.Paths) == 0 {
		return nil, errors.New("bundle manager: no bundle paths")
	}
	if opts.Activator == nil {
		return nil, errors.New("bundle manager: no activator")
	}
	if opts.Retry <= 0 {
		opts.Retry = DefaultRetry
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	vc, err := opts.Key.VerificationConfig()
	if err != nil {
		return nil, fmt.Errorf("bundle manager: %w", err)
	}
	m := &Manager{opts: opts, log: opts.Logger, vc: vc}
	seen := map[string]string{}
	for _, p := range opts.Paths {
		name := Name(p)
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("bundle manager: %q and %q share the bundle name %q", redactURL(other), redactURL(p), name)
		}
		seen[name] = p
		s, err := m.newSource(name, p)
		if err != nil {
			return nil, fmt.Errorf("bundle manager: %w", err)
		}
		m.sources = append(m.sources, s)
	}
	return m, nil
}

func (m *Manager) newSource(name, path string) (*source, error) {
	s := &source{name: name, path: path, status: SourceStatus{Name: name, Source: redactURL(path)}}
	if !IsURL(path) {
		return s, nil
	}
	r, err := newRemote(remoteOptions{name: name, url: path, tokenFile: m.opts.TokenFile,
		poll: m.opts.Poll, vc: m.vc, store: newPersisted(m.opts.DataDir, name)})
	s.remote = r
	return s, err
}

// Run loads and activates every source, then watches them and reloads on
// change until ctx is done. A source that fails is retried every Retry while
// nothing is active; a reload that fails leaves the active set in place.
func (m *Manager) Run(ctx context.Context) error {
	w := newWatcher(m.log)
	defer w.close()
	updates := make(chan update)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, s := range m.sources {
		if s.remote != nil {
			wg.Go(func() { s.remote.run(ctx, s, updates) })
		}
	}
	m.sync(ctx, w, true)
	tick := time.NewTicker(m.opts.Retry)
	defer tick.Stop()
	settle := time.NewTimer(debounce)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			m.sync(ctx, w, !m.Ready())
		case <-w.events():
			settle.Reset(debounce)
		case <-settle.C:
			m.sync(ctx, w, false)
		case u := <-updates:
			m.apply(ctx, u)
		case err := <-w.errors():
			m.log.Warn("bundle watcher", "error", err)
		}
	}
}

// sync reloads the sources whose content changed (and, with retry, those
// that failed) and activates the set when something new was loaded.
func (m *Manager) sync(ctx context.Context, w *watcher, retry bool) {
	loaded, changed := m.reload(retry)
	if changed {
		w.watch(m.localPaths())
	}
	if !loaded {
		return
	}
	if set, ok := m.candidateSet(); ok {
		m.activate(ctx, set)
	}
}

// reload loads the sources that need it; loaded reports a new candidate,
// changed a source whose content differs from the last look.
func (m *Manager) reload(retry bool) (loaded, changed bool) {
	for _, s := range m.sources {
		if s.remote != nil {
			continue
		}
		fp := fingerprint(s.path)
		if fp == s.fingerprint && !(retry && s.failed) {
			continue
		}
		changed = changed || fp != s.fingerprint
		s.fingerprint = fp
		loaded = m.load(s) || loaded
	}
	return loaded, changed
}

func (m *Manager) load(s *source) bool {
	b, err := LoadVerified(s.path, m.vc)
	if err != nil {
		s.candidate = nil
		m.fail(s, err)
		m.observeFailure(err)
		return false
	}
	s.candidate = b
	return true
}

// candidateSet is the set to activate: every source's candidate, else its
// active bundle. ok is false while some source has neither.
func (m *Manager) candidateSet() (map[string]*bundle.Bundle, bool) {
	set := make(map[string]*bundle.Bundle, len(m.sources))
	for _, s := range m.sources {
		switch {
		case s.candidate != nil:
			set[s.name] = s.candidate
		case s.active != nil:
			set[s.name] = s.active
		default:
			return nil, false
		}
	}
	return set, true
}

func (m *Manager) activate(ctx context.Context, set map[string]*bundle.Bundle) {
	rev, err := m.opts.Activator.Activate(ctx, set)
	if err != nil {
		for _, s := range m.sources {
			if s.candidate != nil {
				s.candidate, s.raw = nil, nil
				m.fail(s, err)
			}
		}
		return
	}
	m.activated(rev)
}

// activated promotes every candidate into the active set.
func (m *Manager) activated(rev string) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready, m.revision = true, rev
	for _, s := range m.sources {
		if s.candidate == nil {
			continue
		}
		s.active, s.candidate, s.failed = s.candidate, nil, false
		s.status.Revision, s.status.LastActivation, s.status.LastError = s.active.Manifest.Revision, now, ""
		m.persist(s)
	}
	m.log.Info("bundles active", "bundle_revision", rev)
}

// observeFailure tells the observer, if any, of a bundle that failed
// before it could be activated.
func (m *Manager) observeFailure(err error) {
	if m.opts.Observer != nil {
		m.opts.Observer.Activated(err)
	}
}

// fail records why a source's newest content is not active. A cause is
// logged as a warning once and at debug level while it repeats.
func (m *Manager) fail(s *source, err error) {
	s.failed = true
	err = redactError(err, s.path) // whatever produced it, no URL secret is shown
	m.mu.Lock()
	repeated := s.status.LastError == err.Error()
	s.status.LastError = err.Error()
	m.mu.Unlock()
	level := slog.LevelWarn
	if repeated {
		level = slog.LevelDebug
	}
	m.log.Log(context.Background(), level, "bundle not activated", "bundle", s.name, "source", s.status.Source, "error", err)
}

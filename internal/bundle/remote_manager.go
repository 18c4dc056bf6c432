package bundle

import "context"

// apply takes what a remote source delivered: a new bundle is activated
// with the others; an error is recorded, and told to the observer as a
// failed activation (as a local bundle that does not load is), while the
// active set keeps serving.
func (m *Manager) apply(ctx context.Context, u update) {
	s := u.src
	if u.b != nil {
		s.candidate, s.raw = u.b, u.raw
		if set, ok := m.candidateSet(); ok {
			m.activate(ctx, set)
		}
	}
	if u.err != nil {
		m.fail(s, u.err)
		m.observeFailure(u.err)
	}
}

// persist saves the tarball of a source that just became active. Called
// with m.mu held; a failure is logged, the bundle stays active.
func (m *Manager) persist(s *source) {
	if s.remote == nil || s.raw == nil {
		return
	}
	if err := s.remote.store.save(s.raw); err != nil {
		m.log.Warn("bundle not persisted", "bundle", s.name, "error", err)
	}
	s.raw = nil
}

// localPaths are the sources that are directories or files.
func (m *Manager) localPaths() []string {
	var paths []string
	for _, s := range m.sources {
		if s.remote == nil {
			paths = append(paths, s.path)
		}
	}
	return paths
}

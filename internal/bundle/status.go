package bundle

import "time"

// Status is the state of the bundle sources, as /readyz shows it.
type Status struct {
	Ready    bool           `json:"ready"`
	Revision string         `json:"revision,omitempty"`
	Bundles  []SourceStatus `json:"bundles"`
}

// SourceStatus is the state of one bundle source.
type SourceStatus struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	// Revision is the manifest revision of this source's active bundle.
	Revision       string    `json:"revision,omitempty"`
	LastActivation time.Time `json:"last_activation,omitzero"`
	// LastError is why the newest content of the source is not active;
	// empty once it is.
	LastError string `json:"last_error,omitempty"`
}

// Ready reports whether some bundle set is active.
func (m *Manager) Ready() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ready
}

// Status returns a copy of the current state.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Ready: m.ready, Revision: m.revision, Bundles: make([]SourceStatus, len(m.sources))}
	for i, s := range m.sources {
		st.Bundles[i] = s.status
	}
	return st
}

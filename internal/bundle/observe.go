package bundle

import (
	"context"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// ActivationObserver is told the outcome of every activation attempt
// (metrics): nil error for a set that became active.
type ActivationObserver interface {
	Activated(err error)
}

// ObserveActivations wraps act so that obs sees every activation.
func ObserveActivations(act Activator, obs ActivationObserver) Activator {
	return observedActivator{next: act, obs: obs}
}

type observedActivator struct {
	next Activator
	obs  ActivationObserver
}

var _ Activator = observedActivator{}

func (o observedActivator) Activate(ctx context.Context, set map[string]*bundle.Bundle) (string, error) {
	rev, err := o.next.Activate(ctx, set)
	o.obs.Activated(err)
	return rev, err
}

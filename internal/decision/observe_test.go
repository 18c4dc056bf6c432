package decision_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/decision"
	"github.com/pdp-project/pdp/internal/pdp"
)

type observed struct{ allows []bool }

func (o *observed) Decided(_ context.Context, _ pdp.Request, d pdp.Decision, elapsed time.Duration) {
	if elapsed >= 0 {
		o.allows = append(o.allows, d.Allow)
	}
}

type failing struct{}

func (failing) Write(context.Context, []pdp.Record) error { return errors.New("disk full") }

// TestObserverSeesAuditedDecisions: every item of a committed batch is
// observed; a decision whose record was not written is not.
func TestObserverSeesAuditedDecisions(t *testing.T) {
	tests := []struct {
		name string
		rec  decision.Recorder
		want int
	}{
		{"committed", &records{}, 3},
		{"audit failed", failing{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observed{}
			svc := decision.New(decision.Options{Evaluator: allowAll{}, Recorder: tt.rec, Observer: obs})
			_, _ = svc.CheckBatch(context.Background(), []pdp.Request{req(), req(), req()})
			if len(obs.allows) != tt.want {
				t.Fatalf("observed %v, want %d decisions", obs.allows, tt.want)
			}
		})
	}
}

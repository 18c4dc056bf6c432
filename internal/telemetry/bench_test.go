package telemetry_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/telemetry"
)

// BenchmarkPerDecision is what the metrics and the deny-spike detector add
// to each decision, beside a baseline that does nothing.
func BenchmarkPerDecision(b *testing.B) {
	m, err := telemetry.NewMetrics()
	if err != nil {
		b.Fatal(err)
	}
	d := telemetry.NewSpikeDetector(telemetry.SpikeOptions{})
	subjects := make([]string, 1000)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("user:%d", i)
	}
	b.Run("nothing", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_ = subjects[i%len(subjects)]
		}
	})
	b.Run("metrics", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			m.Decided(i%10 != 0, i%2 == 0, time.Millisecond)
		}
	})
	b.Run("spike", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			d.Observe("svc", subjects[i%len(subjects)], i%10 != 0)
		}
	})
}
